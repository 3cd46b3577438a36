import type { ChildProcess } from 'node:child_process';
import { now } from './defaults';
import { LogBuffer } from './log-buffer';
import type { KubeObject } from './store';

/** The kubelet's record of a pod and its containers, and the pod status it derives from them. */

interface ContainerStatus {
  state: KubeObject;
  lastState: KubeObject;
  ready: boolean;
  started: boolean;
  restartCount: number;
  containerID?: string;
}

export class ContainerRun {
  status: ContainerStatus = { state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, started: false, restartCount: 0 };
  child?: ChildProcess;
  log = new LogBuffer();
  previousLog?: LogBuffer;
  exited?: Promise<void>;
  /** A SIGKILL from killContainer(): reported as OOMKilled. */
  oom = false;
  everStarted = false;
  probePassed = false;
  /** Failed image pulls so far (for the back-off). */
  pulls = 0;
  /** The environment the process got, for exec probes and hooks. */
  env: Record<string, string> = {};
  constructor(readonly spec: KubeObject) {}

  /** Ready: running, and the readiness probe (if any) has passed. */
  updateReadiness(): void {
    this.status.ready = this.status.state.running !== undefined && (!this.spec.readinessProbe || this.probePassed);
  }
}

export class PodRun {
  readonly containers: ContainerRun[];
  ip?: string;
  hostIP: string;
  startTime = now();
  failed?: { reason: string; message: string };
  terminating = false;
  readonly timers = new Set<NodeJS.Timeout>();
  readonly conditionTimes = new Map<string, { status: string; time: string }>();
  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly uid: string,
    readonly node: string,
    readonly spec: KubeObject,
    hostIP: string,
  ) {
    this.hostIP = hostIP;
    this.containers = (spec.containers as KubeObject[]).map((c) => new ContainerRun(c));
  }
  get key(): string {
    return `${this.namespace}/${this.name}`;
  }
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private condition(type: string, status: boolean, reason?: string, message?: string): KubeObject {
    const s = status ? 'True' : 'False';
    let t = this.conditionTimes.get(type);
    if (!t || t.status !== s) this.conditionTimes.set(type, (t = { status: s, time: now() }));
    return { type, status: s, lastProbeTime: null, lastTransitionTime: t.time, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  }

  phase(): string {
    if (this.failed) return 'Failed';
    const cs = this.containers;
    if (cs.some((c) => !c.everStarted && c.status.state.waiting)) return 'Pending';
    const policy = this.spec.restartPolicy ?? 'Always';
    const allTerminated = cs.every((c) => c.status.state.terminated);
    if (allTerminated && policy === 'Never') return cs.every((c) => c.status.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed';
    if (allTerminated && policy === 'OnFailure' && cs.every((c) => c.status.state.terminated.exitCode === 0)) return 'Succeeded';
    return 'Running';
  }

  /** The pod's status as the kubelet reports it (conditions keep their transition times). */
  podStatus(nodeReady: boolean, qosClass: string | undefined): KubeObject {
    const phase = this.phase();
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    for (const c of this.containers) c.updateReadiness();
    const notReady = this.containers.filter((c) => !c.status.ready).map((c) => c.spec.name);
    const containersReady = notReady.length === 0 && !terminal;
    const why = terminal ? 'PodCompleted' : 'ContainersNotReady';
    const msg = terminal ? undefined : `containers with unready status: [${notReady.join(' ')}]`;
    const conditions = [
      ...(this.failed?.reason === 'Evicted' ? [this.condition('DisruptionTarget', true, 'TerminationByKubelet', this.failed.message)] : []),
      this.condition('PodReadyToStartContainers', this.ip !== undefined && !terminal),
      this.condition('Initialized', true),
      this.condition('Ready', containersReady && nodeReady, containersReady ? undefined : why, containersReady ? undefined : msg),
      this.condition('ContainersReady', containersReady, containersReady ? undefined : why, containersReady ? undefined : msg),
      this.condition('PodScheduled', true),
    ];
    return {
      phase,
      conditions,
      hostIP: this.hostIP,
      hostIPs: [{ ip: this.hostIP }],
      ...(this.ip ? { podIP: this.ip, podIPs: [{ ip: this.ip }] } : {}),
      startTime: this.startTime,
      containerStatuses: this.containers.map((c) => ({
        name: c.spec.name,
        state: c.status.state,
        lastState: c.status.lastState,
        ready: c.status.ready,
        restartCount: c.status.restartCount,
        image: c.spec.image,
        imageID: c.everStarted ? `sim-image://${c.spec.image}` : '',
        ...(c.status.containerID && c.status.state.waiting === undefined ? { containerID: c.status.containerID } : {}),
        started: c.status.started,
      })),
      qosClass,
      ...(this.failed ? { reason: this.failed.reason, message: this.failed.message } : {}),
    };
  }
}
