// Types of launch.mjs for TypeScript callers (the end-to-end tests). The page is typed by
// the caller: playwright-core lives in .vscode-test/, outside the project's node_modules.

export interface LaunchOptions {
  /** Folder of the extension under development (its package.json `main` must be built). */
  extension: string;
  /** Folder the workbench opens; an empty one in the run folder when omitted. */
  workspace?: string;
  /** Keep workspace trust on, so that an untrusted folder opens in Restricted Mode. */
  trust?: boolean;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
  verbose?: boolean;
  /** Prefix of the run folder under .vscode-test/tmp/. */
  prefix?: string;
  /** How long to wait for code-server and the workbench (ms). */
  timeoutMs?: number;
}

export interface LaunchedWorkbench<P = unknown> {
  page: P;
  baseUrl: string;
  /** The workbench URL with the extension under development. */
  url: string;
  runDir: string;
  workspace: string;
  /** code-server's log lines so far. */
  serverLog: string[];
  /** Loads the workbench URL again (a fresh window) and waits for it to render. */
  open(): Promise<void>;
  /** Closes the browser and stops code-server's process group; removes the run folder unless kept. */
  close(options?: { keepRunDir?: boolean }): Promise<void>;
}

export function launchWorkbench<P = unknown>(options: LaunchOptions): Promise<LaunchedWorkbench<P>>;
export function setupProblem(): string | undefined;
