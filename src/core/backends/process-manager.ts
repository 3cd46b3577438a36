/**
 * Everything a backend needs to start one application. `args` (and env values) may hold
 * the placeholders `{name} {host} {port} {session}`; the backend expands them, because
 * only it knows the port it allocated when `port` is 0.
 */
export interface AppLaunchSpec {
  name: string;
  command: string;
  args: string[];
  /** The complete environment of the process (nothing is inherited implicitly). */
  env: Record<string, string>;
  cwd?: string;
  host: string;
  /** A fixed port, or 0 for "pick a free one". */
  port: number;
}

export interface AppProcessInfo {
  name: string;
  host: string;
  port: number;
  pid?: number;
  alive: boolean;
  exitCode?: number | null;
  signal?: string | null;
  /** Human-readable reason for the last exit or start failure. */
  reason?: string;
  /** Was the exit requested by Baton (stop/kill) rather than unexpected? */
  expected?: boolean;
  logFile?: string;
  startedAt?: number;
  /** Kubernetes backend: the application's pod, and its status in kubectl's words. */
  pod?: PodInfo;
}

export interface PodInfo {
  namespace: string;
  name: string;
  /** The node it was scheduled on. */
  node?: string;
  /** kubectl's STATUS column: Pending, ContainerCreating, Running, ImagePullBackOff, ... */
  status: string;
  /** Why it is not running as it should (e.g. the scheduler's message), if anything. */
  problem?: string;
}

export interface StartOptions {
  /** Time allowed until the application answers a TCP ping on its command port. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * How the controller starts and stops applications. Implemented by the local backend
 * (child processes) and the Kubernetes backend (pods).
 */
export interface ProcessManager {
  readonly kind: string;
  /** Resolves when the application answers a TCP ping; rejects with a message naming the cause. */
  start(spec: AppLaunchSpec, opts: StartOptions): Promise<AppProcessInfo>;
  /** Graceful stop: SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. */
  stop(name: string, opts: { graceMs: number }): Promise<AppProcessInfo | undefined>;
  /** Immediate kill (abort). Resolves once the process is gone. */
  kill(name: string): Promise<AppProcessInfo | undefined>;
  info(name: string): AppProcessInfo | undefined;
  list(): AppProcessInfo[];
  /** Called on every process exit, expected or not, as soon as it happens. Returns an unsubscribe function. */
  onExit(listener: (info: AppProcessInfo) => void): () => void;
  /** Optional: status changes short of an exit (e.g. a pod's status words). Returns an unsubscribe function. */
  onChange?(listener: (info: AppProcessInfo) => void): () => void;
  /** Kill everything still running and release resources. */
  dispose(): Promise<void>;
}
