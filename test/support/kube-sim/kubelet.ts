import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import { now } from './defaults';
import { LogBuffer } from './log-buffer';
import { PodIpPool } from './pod-addresses';
import { ContainerRun, PodRun } from './pod-run';
import { ContainerConfigError, processPlan } from './pod-env';
import { runHandler } from './probes';
import type { KubeObject, ObjectStore } from './store';

/**
 * The simulated kubelet of every node: runs each container of a bound pod as a real local
 * process (its own process group, no shell) on the pod's own loopback address, and
 * reports what happens to it in the pod's status the way a real kubelet does: waiting
 * (ContainerCreating, ErrImagePull, ImagePullBackOff, CreateContainerConfigError,
 * CrashLoopBackOff), running, terminated (Completed, Error, OOMKilled, StartError) with
 * exit codes, readiness from readiness probes, logs, graceful termination with the preStop
 * hook (exec hooks run as local commands with the container's environment), SIGTERM, then
 * SIGKILL after the grace period.
 */

export interface KubeletHost {
  readonly store: ObjectStore;
  event(pod: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void;
  nodeIP(node: string): string;
  nodeReady(node: string): boolean;
  pullable(image: string): boolean;
  readonly daqApp: string;
  readonly startDelayMs: number;
}

const SIGNALS: Record<string, number> = os.constants.signals as unknown as Record<string, number>;

/**
 * Container processes lead their own process groups, so a test runner that dies without
 * calling stop() would leave them behind. One 'exit' hook for all kubelets of this process
 * kills what is still running (it cannot help against SIGKILL of the runner).
 */
const liveKubelets = new Set<Kubelet>();
let exitHooked = false;
function killOnExit(k: Kubelet): void {
  liveKubelets.add(k);
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const kubelet of liveKubelets) kubelet.killAllNow();
  });
}

export class Kubelet {
  private readonly runs = new Map<string, PodRun>();
  private readonly ips = new PodIpPool();
  private stopped = false;

  constructor(private readonly host: KubeletHost) {
    killOnExit(this);
  }

  /** SIGKILL to every container's process group, synchronously. */
  killAllNow(): void {
    for (const run of this.runs.values()) for (const c of run.containers) if (c.child && c.child.exitCode === null && c.child.signalCode === null) this.killGroup(c, 'SIGKILL');
  }

  /** The scheduler bound `pod` to its node: set up the sandbox and start its containers. */
  bind(pod: KubeObject): void {
    if (this.stopped) return;
    const node = pod.spec.nodeName as string;
    const run = new PodRun(pod.metadata.namespace, pod.metadata.name, pod.metadata.uid, node, pod.spec, this.host.nodeIP(node));
    this.runs.set(run.key, run);
    this.publish(run);
    run.later(this.host.startDelayMs, () => {
      run.ip = pod.spec.hostNetwork ? run.hostIP : this.ips.allocate();
      for (const c of run.containers) this.startContainer(run, c);
      this.publish(run);
    });
  }

  private pod(run: PodRun): KubeObject | undefined {
    const p = this.host.store.get('pods', run.namespace, run.name);
    return p && p.metadata.uid === run.uid ? p : undefined;
  }

  private event(run: PodRun, type: 'Normal' | 'Warning', reason: string, message: string, c?: ContainerRun): void {
    const pod = this.pod(run);
    if (pod) this.host.event(pod, type, reason, message, c ? `spec.containers{${c.spec.name}}` : undefined);
  }

  private startContainer(run: PodRun, c: ContainerRun): void {
    if (run.terminating || run.failed || this.stopped) return;
    const pod = this.pod(run);
    if (!pod) return;
    const image = String(c.spec.image);
    if (!this.host.pullable(image)) {
      const ref = image.includes('/') ? image : `docker.io/library/${image}`;
      const full = /:[^/]+$/.test(ref) || ref.includes('@') ? ref : `${ref}:latest`;
      const why = `rpc error: code = NotFound desc = failed to pull and unpack image "${full}": failed to resolve reference "${full}": ${full}: not found`;
      this.event(run, 'Normal', 'Pulling', `Pulling image "${image}"`, c);
      this.event(run, 'Warning', 'Failed', `Failed to pull image "${image}": ${why}`, c);
      this.event(run, 'Warning', 'Failed', 'Error: ErrImagePull', c);
      c.status.state = { waiting: { reason: 'ErrImagePull', message: why } };
      const attempts = ++c.pulls;
      run.later(1000, () => {
        if (c.status.state.waiting?.reason !== 'ErrImagePull') return;
        c.status.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } };
        this.event(run, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, c);
        this.event(run, 'Warning', 'Failed', 'Error: ImagePullBackOff', c);
        this.publish(run);
        run.later(Math.min(10_000 * 2 ** (attempts - 1), 300_000), () => {
          this.startContainer(run, c);
          this.publish(run);
        });
      });
      return;
    }
    let plan;
    try {
      plan = processPlan(pod, c.spec, run.ip as string, run.hostIP, this.host.daqApp);
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e;
      c.status.state = { waiting: { reason: 'CreateContainerConfigError', message: e.message } };
      this.event(run, 'Warning', 'Failed', `Error: ${e.message}`, c);
      return;
    }
    if (c.spec.imagePullPolicy === 'Always') {
      this.event(run, 'Normal', 'Pulling', `Pulling image "${image}"`, c);
      this.event(run, 'Normal', 'Pulled', `Successfully pulled image "${image}" in 0s (0s including waiting). Image size: 0 bytes.`, c);
    } else this.event(run, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, c);

    c.env = plan.env;
    const containerID = `sim://${run.uid.slice(0, 8)}-${c.spec.name}-${c.status.restartCount}`;
    c.status.containerID = containerID;
    c.oom = false;
    c.probePassed = false;
    const child = spawn(plan.file, plan.args, { env: plan.env, cwd: os.tmpdir(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    c.child = child;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => c.log.write(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => c.log.write(d));
    let spawned = false;
    let resolveExit!: () => void;
    c.exited = new Promise((r) => (resolveExit = r));
    child.once('spawn', () => {
      spawned = true;
      c.everStarted = true;
      c.status.state = { running: { startedAt: now() } };
      c.status.started = true;
      this.event(run, 'Normal', 'Created', `Created container ${c.spec.name}`, c);
      this.event(run, 'Normal', 'Started', `Started container ${c.spec.name}`, c);
      c.updateReadiness();
      this.publish(run);
      if (c.spec.readinessProbe) this.probe(run, c, child);
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (spawned) return;
      const message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${plan.file}": ${err.code === 'ENOENT' ? 'executable file not found in $PATH' : err.message}: unknown`;
      c.status.state = { terminated: { exitCode: 128, reason: 'StartError', message, startedAt: '1970-01-01T00:00:00Z', finishedAt: now(), containerID } };
      c.status.ready = false;
      c.log.end();
      this.event(run, 'Warning', 'Failed', `Error: ${message}`, c);
      this.afterExit(run, c, 128);
      resolveExit();
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (!spawned) return;
      c.log.end();
      const signo = signal ? (SIGNALS[signal] ?? 0) : 0;
      const exitCode = code ?? 128 + signo;
      const reason = c.oom && signal === 'SIGKILL' ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
      const startedAt = c.status.state.running?.startedAt ?? now();
      c.status.state = { terminated: { exitCode, ...(signo ? { signal: signo } : {}), reason, startedAt, finishedAt: now(), containerID } };
      c.status.ready = false;
      c.status.started = false;
      this.afterExit(run, c, exitCode);
      resolveExit();
    });
  }

  private afterExit(run: PodRun, c: ContainerRun, exitCode: number): void {
    const policy = run.spec.restartPolicy ?? 'Always';
    const restart = !run.terminating && !run.failed && !this.stopped && (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
    if (restart) {
      c.status.lastState = c.status.state;
      c.status.restartCount++;
      const backoff = c.status.restartCount === 1 ? 0 : Math.min(10_000 * 2 ** (c.status.restartCount - 2), 300_000);
      if (backoff > 0) {
        c.status.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${backoff / 1000}s restarting failed container=${c.spec.name} pod=${run.name}_${run.namespace}(${run.uid})` } };
        this.event(run, 'Warning', 'BackOff', `Back-off restarting failed container ${c.spec.name} in pod ${run.name}_${run.namespace}(${run.uid})`, c);
      }
      run.later(backoff, () => {
        c.previousLog = c.log;
        c.log = new LogBuffer();
        this.startContainer(run, c);
        this.publish(run);
      });
    }
    this.publish(run);
  }

  private probe(run: PodRun, c: ContainerRun, child: ChildProcess): void {
    const p = c.spec.readinessProbe;
    const period = Math.max(1, p.periodSeconds ?? 10) * 1000;
    const timeout = Math.max(1, p.timeoutSeconds ?? 1) * 1000;
    const successThreshold = p.successThreshold ?? 1;
    const failureThreshold = p.failureThreshold ?? 3;
    let ok = 0;
    let bad = 0;
    const tick = (): void => {
      if (c.child !== child || c.status.state.running === undefined || run.terminating) return;
      void runHandler(p, c.spec, run.ip as string, timeout, c.env).then((passed) => {
        if (this.stopped || run.terminating || c.child !== child || c.status.state.running === undefined) return;
        if (passed) {
          ok++;
          bad = 0;
        } else {
          bad++;
          ok = 0;
        }
        const was = c.probePassed;
        if (passed && ok >= successThreshold) c.probePassed = true;
        if (!passed && bad >= failureThreshold) c.probePassed = false;
        if (!passed && was !== c.probePassed) this.event(run, 'Warning', 'Unhealthy', 'Readiness probe failed', c);
        if (was !== c.probePassed) {
          c.updateReadiness();
          this.publish(run);
        }
        run.later(period, tick);
      });
    };
    run.later((p.initialDelaySeconds ?? 0) * 1000, tick);
  }

  /** Writes the pod's status from the kubelet's view of it. */
  private publish(run: PodRun): void {
    this.host.store.modify('pods', run.namespace, run.name, (pod) => {
      if (pod.metadata.uid !== run.uid) return false;
      pod.status = run.podStatus(this.host.nodeReady(run.node), pod.status?.qosClass);
    });
  }

  private killGroup(c: ContainerRun, signal: NodeJS.Signals): void {
    const pid = c.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        c.child?.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  private running(c: ContainerRun): boolean {
    return c.child !== undefined && c.status.state.running !== undefined;
  }

  /**
   * Graceful deletion: preStop hooks, SIGTERM, SIGKILL once `graceSeconds` have passed.
   * Resolves when every container's process is gone.
   */
  async terminate(namespace: string, name: string, graceSeconds: number): Promise<void> {
    const run = this.runs.get(`${namespace}/${name}`);
    if (!run) return;
    run.terminating = true;
    // stop start-up, pull retries and restarts; probes check `terminating`
    run.clearTimers();
    const deadline = Date.now() + graceSeconds * 1000;
    await Promise.all(
      run.containers.map(async (c) => {
        if (!this.running(c)) return;
        this.event(run, 'Normal', 'Killing', `Stopping container ${c.spec.name}`, c);
        const preStop = c.spec.lifecycle?.preStop;
        if (preStop && graceSeconds > 0 && run.ip) await runHandler(preStop, c.spec, run.ip, graceSeconds * 1000, c.env);
        if (graceSeconds <= 0) this.killGroup(c, 'SIGKILL');
        else {
          this.killGroup(c, 'SIGTERM');
          const t = setTimeout(() => this.killGroup(c, 'SIGKILL'), Math.max(0, deadline - Date.now()));
          await c.exited;
          clearTimeout(t);
        }
        await c.exited;
      }),
    );
  }

  /** The pod object is gone: release its address and forget it (its processes have ended). */
  forget(namespace: string, name: string): void {
    const run = this.runs.get(`${namespace}/${name}`);
    if (!run) return;
    run.clearTimers();
    for (const c of run.containers) if (c.child && c.status.state.terminated === undefined) this.killGroup(c, 'SIGKILL');
    if (run.ip && run.ip !== run.hostIP) this.ips.release(run.ip);
    this.runs.delete(run.key);
  }

  has(namespace: string, name: string): boolean {
    return this.runs.has(`${namespace}/${name}`);
  }

  evict(namespace: string, name: string, message: string): boolean {
    const run = this.runs.get(`${namespace}/${name}`);
    if (!run) return false;
    run.failed = { reason: 'Evicted', message };
    run.clearTimers();
    this.event(run, 'Warning', 'Evicted', message);
    for (const c of run.containers) {
      if (this.running(c)) {
        this.event(run, 'Normal', 'Killing', `Stopping container ${c.spec.name}`, c);
        this.killGroup(c, 'SIGKILL');
      } else if (!c.status.state.terminated) {
        c.status.state = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', startedAt: null, finishedAt: now() } };
      }
    }
    this.publish(run);
    return true;
  }

  killContainer(namespace: string, name: string, signal: NodeJS.Signals): boolean {
    const run = this.runs.get(`${namespace}/${name}`);
    const c = run?.containers.find((x) => this.running(x));
    if (!c) return false;
    c.oom = signal === 'SIGKILL';
    this.killGroup(c, signal);
    return true;
  }

  /** The node's Ready condition changed: pods there become NotReady (their processes keep running). */
  nodeReadyChanged(node: string): void {
    for (const run of this.runs.values()) if (run.node === node) this.publish(run);
  }

  /** The log of a pod's container, or an error message the API server would send as 400. */
  log(namespace: string, name: string, container: string | undefined, previous: boolean): LogBuffer | string {
    const run = this.runs.get(`${namespace}/${name}`);
    const names = (run?.containers ?? []).map((c) => c.spec.name);
    if (!run) return `pod ${name} has no running containers`;
    if (!container) {
      if (names.length > 1) return `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`;
      container = names[0];
    }
    const c = run.containers.find((x) => x.spec.name === container);
    if (!c) return `container ${container} is not valid for pod ${name}`;
    if (previous) return c.previousLog ?? `previous terminated container "${container}" in pod "${name}" not found`;
    if (!c.everStarted && c.status.state.waiting) return `container "${container}" in pod "${name}" is waiting to start: ${c.status.state.waiting.reason}`;
    return c.log;
  }

  /** Pids of every live container process (for tests that check nothing is left behind). */
  pids(): number[] {
    const out: number[] = [];
    for (const run of this.runs.values()) for (const c of run.containers) if (c.child?.pid !== undefined && c.status.state.running) out.push(c.child.pid);
    return out;
  }

  /** Kills every container process (SIGKILL to each process group) and waits for them to end. */
  async stopAll(): Promise<void> {
    this.stopped = true;
    liveKubelets.delete(this);
    const waits: Array<Promise<void>> = [];
    for (const run of this.runs.values()) {
      run.clearTimers();
      for (const c of run.containers) {
        if (c.child && c.exited && c.child.exitCode === null && c.child.signalCode === null) {
          this.killGroup(c, 'SIGKILL');
          waits.push(c.exited);
        }
      }
    }
    await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 5000).unref())]);
  }
}
