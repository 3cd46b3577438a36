import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppConfig, RunConfig } from '../../config/types';
import type { AppLaunchSpec, AppProcessInfo, ProcessManager, StartOptions } from '../process-manager';
import { tcpPing } from '../../protocol/ping';
import { sleep } from '../../util/process-info';
import type { V1Namespace, V1Pod } from './client';
import { describeKubeError, isTransientKubeError, kubeErrorStatus, KubernetesError, REQUEST_TIMEOUT_MS, withTimeout, type KubeAccess } from './kube-access';
import { LogFollower } from './log-follow';
import { podIsFinished, podIsReady, podProblem, podStatusText } from './pod-status';
import { PodWatch } from './pod-watch';
import {
  ANNOTATION_APPS,
  ANNOTATION_CONFIG_FILE,
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_PORT,
  ANNOTATION_STATE,
  CONTAINER_NAME,
  LABEL_APP,
  LABEL_MANAGED_BY,
  LABEL_SESSION,
  MANAGED_BY,
  buildPod,
  buildService,
  sessionLabels,
  sessionSelector,
} from './pod-spec';

export interface KubernetesProcessManagerOptions {
  access: KubeAccess;
  config: RunConfig;
  /** `.baton/sessions/<session>`: followed logs go to logs/<app>.log. */
  sessionDir: string;
  log?: (msg: string) => void;
  /** Problems reaching the cluster (and their end), which an operator should see. Default: log. */
  warn?: (msg: string) => void;
  /** Pods (and services) created at once. Default 16. */
  concurrency?: number;
  /** Follow each application's log into its log file. Default true. */
  followLogs?: boolean;
  /** One API request taking longer counts as the cluster being unreachable. Default 15 s. */
  requestTimeoutMs?: number;
}

/** Waiting reasons after which a pod will not start without someone changing something. */
const HOPELESS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff']);
const PING_INTERVAL_MS = 30;
/** How long a terminated session's namespace may take to disappear (finalizers run on the cluster). */
const NAMESPACE_GONE_MS = 60_000;
/** Log streams retried (backing off from 0.5 s to 16 s) before following a log is given up. */
const LOG_RETRIES = 6;
const PING_TIMEOUT_MS = 1000;
/** Names per delete-by-label request (the selector travels in the URL). */
const DELETE_CHUNK = 100;
/** How long deletes are retried while the API server is unreachable or failing. */
const DELETE_RETRY_MS = 15_000;

interface Entry {
  name: string;
  port: number;
  host: string;
  /** The pod this entry is about; other pods of the same name (an earlier boot's) are not. */
  uid?: string;
  pod?: V1Pod;
  alive: boolean;
  /** The pod was seen on the cluster (by create or watch), so a deletion has something to wait for. */
  exists: boolean;
  startedAt: number;
  logFile: string;
  reason?: string;
  stopReason?: string;
  adopted: boolean;
  follower?: LogFollower;
  /** Log streams in a row that broke before copying anything. */
  logRetries?: number;
  /** The create requests in flight: a deletion must not overtake them. */
  creating?: Promise<void>;
  changed: Set<() => void>;
  gone: Promise<void>;
  markGone: () => void;
  isGone: boolean;
}

/**
 * Runs applications as pods: one namespace per session, one Pod (restartPolicy Never) and
 * one Service per application, status from one watch on the session's pods, logs followed
 * through the log API into local files, deletion by label. Everything Baton needs to pick
 * a session up again is on the cluster: labels name the session and application, pod
 * annotations the command port, namespace annotations the configuration and FSM state.
 */
export class KubernetesProcessManager implements ProcessManager {
  readonly kind = 'kubernetes';
  readonly namespace: string;
  readonly session: string;
  readonly configHash: string;
  private readonly access: KubeAccess;
  private readonly config: RunConfig;
  private readonly apps: Map<string, AppConfig>;
  private readonly entries = new Map<string, Entry>();
  private readonly starting = new Set<string>();
  private readonly exitListeners = new Set<(info: AppProcessInfo) => void>();
  private readonly changeListeners = new Set<(info: AppProcessInfo) => void>();
  private readonly log: (msg: string) => void;
  private readonly warn: (msg: string) => void;
  private readonly logDir: string;
  private readonly followLogs: boolean;
  private readonly limit: Limiter;
  private readonly requestTimeoutMs: number;
  private watch?: PodWatch;
  private namespaceReady?: Promise<void>;
  private disposed = false;
  /** Namespace annotations found when the manager was opened (e.g. the recorded FSM state). */
  private foundAnnotations: Record<string, string> = {};
  private trouble?: string;
  private pendingDeletes = new Map<number, { names: Set<string>; flush: Promise<void> }>();

  private constructor(opts: KubernetesProcessManagerOptions) {
    this.access = opts.access;
    this.config = opts.config;
    this.session = opts.config.name;
    this.namespace = opts.config.kubernetes.namespace;
    this.configHash = configHash(opts.config.text);
    this.apps = new Map();
    collectApps(opts.config.root, this.apps);
    this.log = opts.log ?? (() => undefined);
    this.warn = opts.warn ?? this.log;
    this.logDir = path.join(opts.sessionDir, 'logs');
    this.followLogs = opts.followLogs ?? true;
    this.limit = new Limiter(opts.concurrency ?? 16);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /**
   * Connects to the session's namespace: refuses a namespace that exists and is not this
   * session's, adopts the pods of a live session (from labels and annotations alone), and
   * starts the watch. Nothing is created until the first application is started.
   */
  static async open(opts: KubernetesProcessManagerOptions): Promise<KubernetesProcessManager> {
    const pm = new KubernetesProcessManager(opts);
    try {
      await pm.connect();
    } catch (err) {
      pm.watch?.stop();
      throw err;
    }
    return pm;
  }

  /** Applications whose pods were found alive on the cluster when opened. */
  get adopted(): string[] {
    return [...this.entries.values()].filter((e) => e.adopted && e.alive).map((e) => e.name);
  }

  /** The JSON recorded in the namespace's state annotation when opened, if any. */
  get recordedState(): string | undefined {
    return this.foundAnnotations[ANNOTATION_STATE];
  }

  /** The last connection problem of the watch, cleared when it recovers. */
  get connectionTrouble(): string | undefined {
    return this.trouble;
  }

  private async connect(): Promise<void> {
    const core = this.access.core();
    let ns: V1Namespace | undefined;
    try {
      ns = await withTimeout(core.readNamespace({ name: this.namespace }), `read namespace ${this.namespace}`, this.access, this.requestTimeoutMs);
    } catch (err) {
      if (err instanceof KubernetesError) throw err;
      if (kubeErrorStatus(err) !== 404) throw new KubernetesError(describeKubeError(err, `read namespace ${this.namespace}`, this.access));
    }
    if (ns) this.checkOwnership(ns);
    if (ns && (ns.status?.phase === 'Terminating' || ns.metadata?.deletionTimestamp)) {
      // The previous session of this name was terminated a moment ago: start fresh once it is gone.
      await this.waitNamespaceGone();
      ns = undefined;
    }
    if (ns) {
      this.foundAnnotations = { ...(ns.metadata?.annotations ?? {}) };
      this.namespaceReady = Promise.resolve();
      await this.startWatch();
      await this.adoptPods();
    }
  }

  private checkOwnership(ns: V1Namespace): void {
    const labels = ns.metadata?.labels ?? {};
    if (labels[LABEL_MANAGED_BY] !== MANAGED_BY) {
      throw new KubernetesError(`namespace "${this.namespace}" already exists and is not managed by Baton (label ${LABEL_MANAGED_BY}=${MANAGED_BY} missing); choose another spec.kubernetes.namespace or metadata.name`);
    }
    if (labels[LABEL_SESSION] !== this.session) {
      throw new KubernetesError(`namespace "${this.namespace}" belongs to Baton session "${labels[LABEL_SESSION] ?? '(none)'}", not "${this.session}"; choose another spec.kubernetes.namespace`);
    }
  }

  private async deleteNamespace(): Promise<void> {
    const core = this.access.core();
    try {
      await this.retrying(`delete namespace ${this.namespace}`, () => core.deleteNamespace({ name: this.namespace }));
    } catch (err) {
      if (kubeErrorStatus((err as { cause?: unknown }).cause) !== 404) throw err;
    }
    await this.waitNamespaceGone();
  }

  /** Reads the namespace until it is gone: a rare wait, right after a terminate, bounded. */
  private async waitNamespaceGone(): Promise<void> {
    const core = this.access.core();
    const deadline = Date.now() + NAMESPACE_GONE_MS;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        await withTimeout(core.readNamespace({ name: this.namespace }), `read namespace ${this.namespace}`, this.access, this.requestTimeoutMs);
      } catch (err) {
        if (kubeErrorStatus(err) === 404) return;
        if (err instanceof KubernetesError) throw err;
        throw new KubernetesError(describeKubeError(err, `read namespace ${this.namespace}`, this.access));
      }
      if (Date.now() > deadline) throw new KubernetesError(`namespace "${this.namespace}" is still being deleted after ${NAMESPACE_GONE_MS / 1000} s; try again when it is gone`);
      await sleep(delay);
    }
  }

  private async ensureNamespace(): Promise<void> {
    this.namespaceReady ??= this.createNamespace().catch((err) => {
      this.namespaceReady = undefined;
      throw err;
    });
    await this.namespaceReady;
    await this.startWatch();
  }

  private async createNamespace(): Promise<void> {
    const core = this.access.core();
    const body: V1Namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: this.namespace,
        labels: sessionLabels(this.session, this.config.labels),
        annotations: {
          [ANNOTATION_CONFIG_HASH]: this.configHash,
          [ANNOTATION_CONFIG_FILE]: this.config.file,
          [ANNOTATION_APPS]: [...this.apps.keys()].join(','),
        },
      },
    };
    try {
      await withTimeout(core.createNamespace({ body }), `create namespace ${this.namespace}`, this.access, this.requestTimeoutMs);
      this.log(`created namespace ${this.namespace} on ${this.access.context}`);
    } catch (err) {
      if (err instanceof KubernetesError) throw err;
      if (kubeErrorStatus(err) !== 409) throw new KubernetesError(describeKubeError(err, `create namespace ${this.namespace}`, this.access));
      // Someone created it since we looked: it must be ours to use.
      const ns = await core.readNamespace({ name: this.namespace }).catch((e: unknown) => {
        throw new KubernetesError(describeKubeError(e, `read namespace ${this.namespace}`, this.access));
      });
      this.checkOwnership(ns);
    }
  }

  private startWatch(): Promise<void> {
    if (!this.watch) {
      this.watch = new PodWatch({
        access: this.access,
        namespace: this.namespace,
        labelSelector: sessionSelector(this.session),
        onPod: (pod) => this.onPod(pod),
        onDeleted: (pod) => this.onPodDeleted(pod),
        onSynced: () => {
          if (this.trouble) this.warn(`connection to cluster "${this.access.context}" restored`);
          this.trouble = undefined;
        },
        onTrouble: (msg) => {
          if (msg !== this.trouble) this.warn(`${msg}; retrying`);
          this.trouble = msg;
        },
        log: this.log,
        requestTimeoutMs: this.requestTimeoutMs,
      });
    }
    return this.watch.start();
  }

  private async adoptPods(): Promise<void> {
    const leftovers: string[] = [];
    for (const [name] of this.apps) {
      const pod = this.watch?.get(name);
      if (!pod) continue;
      if (podIsFinished(pod) || pod.metadata?.deletionTimestamp) {
        leftovers.push(name);
        continue;
      }
      const entry = this.newEntry(name, Number(pod.metadata?.annotations?.[ANNOTATION_PORT]) || 0, true);
      entry.exists = true;
      entry.uid = pod.metadata?.uid;
      this.updateEntry(entry, pod);
      this.startFollowing(entry, pod);
      this.log(`adopted pod ${this.namespace}/${name} (${podStatusText(pod)}${pod.spec?.nodeName ? ` on ${pod.spec.nodeName}` : ''})`);
    }
    // Pods of applications the configuration no longer names, or that ended while nobody
    // watched, could never be controlled again.
    for (const name of this.watch?.names() ?? []) if (!this.apps.has(name)) leftovers.push(name);
    if (leftovers.length) {
      this.log(`removing ${leftovers.length} pod(s) no longer controllable: ${leftovers.slice(0, 10).join(', ')}`);
      await this.deleteByName(leftovers, 0);
    }
  }

  async start(spec: AppLaunchSpec, opts: StartOptions): Promise<AppProcessInfo> {
    const name = spec.name;
    const app = `application "${name}"`;
    if (this.disposed) throw new Error(`${app}: the process manager has been disposed`);
    const appConfig = this.apps.get(name);
    if (!appConfig) throw new Error(`${app} is not in configuration ${this.config.file}`);
    if (!(opts.timeoutMs > 0)) throw new Error(`${app}: boot timeout must be a positive number of ms, got ${opts.timeoutMs}`);
    const existing = this.entries.get(name);
    if (this.starting.has(name) || existing?.alive) throw new Error(`${app} is already running (pod ${this.namespace}/${name})`);
    this.starting.add(name);
    const deadline = Date.now() + opts.timeoutMs;
    try {
      const exec = this.config.execs[appConfig.exec];
      const input = { session: this.session, namespace: this.namespace, spec, app: appConfig, execImage: exec?.image, settings: this.config.kubernetes, labels: this.config.labels, configHash: this.configHash, terminateGraceMs: this.config.terminateGraceMs };
      const pod = buildPod(input);
      const service = buildService(input);
      const port = Number(pod.metadata!.annotations![ANNOTATION_PORT]);
      await this.ensureNamespace().catch((err: Error) => {
        throw new KubernetesError(`${app}: ${err.message}`);
      });
      if (existing && existing.exists && !existing.isGone) {
        // The ended pod of an earlier boot still holds the name (restartPolicy Never keeps it).
        existing.stopReason ??= 'replaced by a new boot';
        await this.deleteByName([name], 0);
        await this.waitGone(existing, DELETE_RETRY_MS);
      }
      if (opts.signal?.aborted) throw new Error(`${app}: start aborted`);
      const entry = this.newEntry(name, port, false);
      entry.creating = this.limit.run(async () => {
        if (this.disposed || opts.signal?.aborted) return;
        const core = this.access.core();
        try {
          const created = await this.createPod(pod);
          entry.exists = true;
          // The watch may already have delivered a newer state of this very pod.
          if (entry.uid !== created.metadata?.uid) {
            entry.uid = created.metadata?.uid;
            this.updateEntry(entry, created);
          }
        } catch (err) {
          entry.alive = false;
          entry.reason = `pod not created: ${(err as Error).message}`;
          entry.markGone();
          throw new Error(`${app}: ${(err as Error).message}`);
        }
        try {
          await core.createNamespacedService({ namespace: this.namespace, body: service });
        } catch (err) {
          // A Service left by an earlier run of the same session selects the same pod.
          if (kubeErrorStatus(err) !== 409) this.log(`${app}: ${describeKubeError(err, `create service ${name}`, this.access)} (commands go to the pod address, so the run is not affected)`);
        }
      });
      await withTimeout(entry.creating, `create pod ${this.namespace}/${name}`, this.access, Math.max(1, deadline - Date.now())).catch(async (err: unknown) => {
        if (!(err instanceof KubernetesError) || entry.exists) throw err;
        // No answer in time: whatever the request still does must not outlive the start.
        entry.stopReason ??= 'not created in time, deleted by Baton';
        void entry.creating?.then(() => this.removeAfterFailedStart(entry, entry.stopReason!), () => undefined);
        throw new Error(`${app}: ${err.message}`);
      });
      if (this.disposed || opts.signal?.aborted) {
        await this.removeAfterFailedStart(entry, 'start aborted, deleted by Baton');
        throw new Error(`${app}: start aborted; deleted its pod`);
      }
      await this.waitReady(entry, deadline, opts);
      return this.toInfo(entry);
    } finally {
      this.starting.delete(name);
    }
  }

  private async createPod(pod: V1Pod): Promise<V1Pod> {
    const core = this.access.core();
    const name = pod.metadata!.name!;
    try {
      return await core.createNamespacedPod({ namespace: this.namespace, body: pod });
    } catch (err) {
      if (kubeErrorStatus(err) !== 409) throw new Error(describeKubeError(err, `create pod ${this.namespace}/${name}`, this.access));
    }
    // A finished pod of an earlier boot still holds the name (restartPolicy Never keeps it): replace it.
    this.log(`pod ${this.namespace}/${name} exists from an earlier boot; replacing it`);
    await this.deleteByName([name], 0, { servicesToo: false });
    await this.waitPodAbsent(name, 30_000);
    try {
      return await core.createNamespacedPod({ namespace: this.namespace, body: pod });
    } catch (err) {
      throw new Error(describeKubeError(err, `create pod ${this.namespace}/${name}`, this.access));
    }
  }

  private async waitPodAbsent(name: string, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.watch?.get(name) && Date.now() < until) await sleep(25);
  }

  /** Waits (on watch events, not polling the API) for Ready, then pings the command port. */
  private async waitReady(entry: Entry, deadline: number, opts: StartOptions): Promise<void> {
    const app = `application "${entry.name}"`;
    const aborted = opts.signal ? onceAborted(opts.signal) : undefined;
    try {
      for (;;) {
        const pod = entry.pod;
        if (!entry.alive) {
          throw new Error(`${app}: pod ${this.namespace}/${entry.name} ${entry.reason ?? 'ended'} before answering${this.logHint(entry)}`);
        }
        if (opts.signal?.aborted) {
          await this.removeAfterFailedStart(entry, 'start aborted, deleted by Baton');
          throw new Error(`${app}: start aborted; deleted its pod`);
        }
        const hopeless = pod && this.hopeless(pod);
        if (hopeless) {
          await this.removeAfterFailedStart(entry, `${hopeless}, deleted by Baton`);
          throw new Error(`${app}: pod ${this.namespace}/${entry.name} cannot start: ${hopeless}`);
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          const where = pod ? `${podStatusText(pod)}${pod.spec?.nodeName ? ` on ${pod.spec.nodeName}` : ''}` : 'not seen yet';
          const problem = pod ? podProblem(pod) : this.trouble;
          await this.removeAfterFailedStart(entry, `boot timeout, deleted by Baton`);
          throw Object.assign(new Error(`${app} did not answer on ${entry.host || '(no pod address)'}:${entry.port} within ${opts.timeoutMs} ms (boot timeout; pod ${where}${problem ? `: ${problem}` : ''}); deleted its pod`), { code: 'BOOT_TIMEOUT' });
        }
        if (pod && podIsReady(pod) && entry.host) {
          const ok = await tcpPing(entry.host, entry.port, Math.min(PING_TIMEOUT_MS, remaining));
          if (ok && entry.alive) return;
          await Promise.race([sleep(PING_INTERVAL_MS), aborted?.promise]);
          continue;
        }
        await Promise.race([this.nextChange(entry, Math.min(remaining, 1000)), aborted?.promise]);
      }
    } finally {
      aborted?.dispose();
    }
  }

  private hopeless(pod: V1Pod): string | undefined {
    const sched = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
    if (sched) return podProblem(pod);
    for (const c of pod.status?.containerStatuses ?? []) {
      const reason = c.state?.waiting?.reason;
      if (reason && HOPELESS.has(reason)) return podProblem(pod);
    }
    return undefined;
  }

  private logHint(entry: Entry): string {
    return this.followLogs && fs.existsSync(entry.logFile) ? `; log: ${entry.logFile}` : '';
  }

  private nextChange(entry: Entry, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        entry.changed.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      entry.changed.add(done);
    });
  }

  private async removeAfterFailedStart(entry: Entry, reason: string): Promise<void> {
    entry.stopReason ??= reason;
    if (entry.alive) {
      entry.alive = false;
      entry.reason = reason;
    }
    // The start's own failure is what the operator must read; a failed cleanup is logged.
    const warn = (err: unknown) => this.warn(`application "${entry.name}": ${(err as Error).message}`);
    await this.deleteByName([entry.name], 0).catch(warn);
    await this.waitGone(entry, DELETE_RETRY_MS).catch(warn);
  }

  async stop(name: string, opts: { graceMs: number }): Promise<AppProcessInfo | undefined> {
    return this.remove(name, Math.max(0, Math.ceil(opts.graceMs / 1000)), 'stopped by Baton');
  }

  async kill(name: string): Promise<AppProcessInfo | undefined> {
    return this.remove(name, 0, 'killed by Baton');
  }

  private async remove(name: string, graceSeconds: number, reason: string): Promise<AppProcessInfo | undefined> {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    await entry.creating?.catch(() => undefined);
    if (entry.alive || (entry.exists && !entry.isGone)) {
      entry.stopReason ??= reason;
      await this.deleteByName([name], graceSeconds);
      // The kubelet gives the pod its grace, then kills it; wait for the deletion to land.
      await this.waitGone(entry, (graceSeconds + 30) * 1000);
    }
    return this.toInfo(entry);
  }

  private async waitGone(entry: Entry, ms: number): Promise<void> {
    if (!entry.exists || entry.isGone) {
      entry.markGone();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    const r = await Promise.race([entry.gone.then(() => 'gone' as const), timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      // The watch may have been down: a fresh list settles it.
      this.watch?.resync();
      const r2 = await Promise.race([entry.gone.then(() => 'gone' as const), sleep(5000).then(() => 'timeout' as const)]);
      if (r2 === 'timeout') throw new Error(`pod ${this.namespace}/${entry.name} was not deleted within ${Math.round(ms / 1000)} s${this.trouble ? ` (${this.trouble})` : ''}`);
    }
  }

  /**
   * Deletes pods (and their services) by label. Calls within the same tick are merged,
   * so terminating 500 applications is a handful of delete-collection requests, not 1,000
   * deletes. Retries while the API server is unreachable or failing.
   */
  private deleteByName(names: string[], graceSeconds: number, opts: { servicesToo?: boolean } = {}): Promise<void> {
    if (opts.servicesToo === false) return this.deleteChunk(names, graceSeconds, false);
    let batch = this.pendingDeletes.get(graceSeconds);
    if (!batch) {
      const set = new Set<string>();
      const flush = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          this.pendingDeletes.delete(graceSeconds);
          const all = [...set];
          const chunks: string[][] = [];
          for (let i = 0; i < all.length; i += DELETE_CHUNK) chunks.push(all.slice(i, i + DELETE_CHUNK));
          Promise.all(chunks.map((c) => this.deleteChunk(c, graceSeconds, true))).then(() => resolve(), reject);
        });
      });
      batch = { names: set, flush };
      this.pendingDeletes.set(graceSeconds, batch);
    }
    for (const n of names) batch.names.add(n);
    return batch.flush;
  }

  private async deleteChunk(names: string[], graceSeconds: number, servicesToo: boolean): Promise<void> {
    const labelSelector = `${sessionSelector(this.session)},${LABEL_APP} in (${names.join(',')})`;
    const core = this.access.core();
    await this.retrying(`delete pods ${names.length === 1 ? names[0] : `of ${names.length} applications`}`, () =>
      core.deleteCollectionNamespacedPod({ namespace: this.namespace, labelSelector, gracePeriodSeconds: graceSeconds }),
    );
    if (servicesToo) await this.deleteServices(labelSelector);
  }

  private async deleteServices(labelSelector: string): Promise<void> {
    const core = this.access.core();
    try {
      await this.retrying('delete services', () => core.deleteCollectionNamespacedService({ namespace: this.namespace, labelSelector }));
    } catch (err) {
      // An API server that cannot delete services by label (405): list them and delete one by one.
      const status = kubeErrorStatus((err as { cause?: unknown }).cause);
      if (status !== 405 && status !== 404) throw err;
      const list = await this.retrying('list services', () => core.listNamespacedService({ namespace: this.namespace, labelSelector }));
      await Promise.all(list.items.map((svc) => this.retrying(`delete service ${svc.metadata!.name}`, () => core.deleteNamespacedService({ namespace: this.namespace, name: svc.metadata!.name! })).catch((e: unknown) => this.warn((e as Error).message))));
    }
  }

  private async retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const until = Date.now() + DELETE_RETRY_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await withTimeout(fn(), what, this.access, this.requestTimeoutMs);
      } catch (err) {
        if (err instanceof KubernetesError) {
          if (Date.now() <= until) continue;
          throw err;
        }
        if (!isTransientKubeError(err) || Date.now() > until) throw Object.assign(new Error(describeKubeError(err, what, this.access)), { cause: err });
        await sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    }
  }

  info(name: string): AppProcessInfo | undefined {
    const e = this.entries.get(name);
    return e && this.toInfo(e);
  }

  list(): AppProcessInfo[] {
    return [...this.entries.values()].map((e) => this.toInfo(e));
  }

  onExit(listener: (info: AppProcessInfo) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  onChange(listener: (info: AppProcessInfo) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * Records the session's FSM state on the namespace, so that another controller (a
   * reloaded window, a second operator) can pick the session up from the cluster alone.
   */
  async recordState(json: string): Promise<void> {
    if (!this.namespaceReady) return;
    const key = ANNOTATION_STATE.replace(/~/g, '~0').replace(/\//g, '~1');
    try {
      await this.access.core().patchNamespace({ name: this.namespace, body: [{ op: 'add', path: `/metadata/annotations/${key}`, value: json }] });
    } catch (err) {
      this.log(`cannot record the session state on namespace ${this.namespace}: ${describeKubeError(err, 'patch namespace', this.access)}`);
    }
  }

  /** Deletes every pod and service of the session without grace and waits until they are gone. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([...this.entries.values()].map((e) => e.creating?.catch(() => undefined)));
    const live = [...this.entries.values()].filter((e) => e.alive || (e.exists && !e.isGone));
    for (const e of live) e.stopReason ??= 'killed by Baton (shutdown)';
    try {
      if (this.namespaceReady) {
        const core = this.access.core();
        const labelSelector = sessionSelector(this.session);
        await this.retrying('delete the session pods', () => core.deleteCollectionNamespacedPod({ namespace: this.namespace, labelSelector, gracePeriodSeconds: 0 }));
        await this.deleteServices(labelSelector).catch((err: unknown) => this.warn((err as Error).message));
        await Promise.all(live.map((e) => this.waitGone(e, 30_000).catch((err: unknown) => this.log((err as Error).message))));
        // A terminated session leaves nothing in the cluster, not even its (now empty) namespace;
        // where that is not allowed (RBAC), the empty namespace stays and closing still succeeds.
        await this.deleteNamespace().catch((err: unknown) => this.warn(`${(err as Error).message}; the empty namespace is left`));
      }
    } finally {
      this.shutdownWatchers();
    }
  }

  /** Stops watching without touching the cluster: the pods keep running for a later reattach. */
  async detach(): Promise<void> {
    this.disposed = true;
    this.shutdownWatchers();
  }

  private shutdownWatchers(): void {
    this.watch?.stop();
    for (const e of this.entries.values()) {
      e.follower?.stop();
      for (const f of [...e.changed]) f();
    }
    this.exitListeners.clear();
    this.changeListeners.clear();
  }

  // --- watch events ---------------------------------------------------------------------

  /** The entry a watched pod belongs to: same uid, or, while its create is in flight, a fresh pod of that name. */
  private entryOf(pod: V1Pod): Entry | undefined {
    const name = pod.metadata?.labels?.[LABEL_APP] ?? pod.metadata?.name;
    const entry = name ? this.entries.get(name) : undefined;
    if (!entry || entry.isGone) return undefined;
    const uid = pod.metadata?.uid;
    if (entry.uid) return entry.uid === uid ? entry : undefined;
    // Before the create answers, the watch may already report the new pod, never an old
    // one being deleted (those were waited for before creating).
    if (pod.metadata?.deletionTimestamp || podIsFinished(pod)) return undefined;
    entry.uid = uid;
    return entry;
  }

  private onPod(pod: V1Pod): void {
    const entry = this.entryOf(pod);
    if (!entry) return;
    entry.exists = true;
    this.updateEntry(entry, pod);
    if (entry.alive && podIsFinished(pod)) {
      this.markExit(entry, podProblem(pod) ?? podStatusText(pod));
    } else if (entry.alive && pod.metadata?.deletionTimestamp && !entry.stopReason) {
      // Deleted by someone else (kubectl delete, an eviction): the application is going.
      this.markExit(entry, `pod deleted outside Baton (${podStatusText(pod)})`);
    }
    this.startFollowing(entry, pod);
    this.notify(entry);
  }

  private onPodDeleted(pod: V1Pod): void {
    const name = pod.metadata?.labels?.[LABEL_APP] ?? pod.metadata?.name;
    const entry = name ? this.entries.get(name) : undefined;
    if (!entry || !entry.uid || entry.uid !== pod.metadata?.uid) return;
    if (entry.alive) this.markExit(entry, entry.stopReason ? 'pod deleted' : `pod deleted outside Baton (${podProblem(pod) ?? podStatusText(pod)})`);
    entry.isGone = true;
    entry.markGone();
    this.notify(entry);
  }

  private updateEntry(entry: Entry, pod: V1Pod): void {
    entry.pod = pod;
    const ip = pod.status?.podIP || (pod.spec?.hostNetwork ? pod.status?.hostIP : undefined);
    if (ip) entry.host = ip;
  }

  private startFollowing(entry: Entry, pod: V1Pod, resume = false): void {
    if (!this.followLogs || this.disposed || (entry.follower && !resume)) return;
    const st = pod.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME)?.state;
    if (!st?.running && !st?.terminated) return;
    fs.mkdirSync(this.logDir, { recursive: true });
    // An adopted pod's log was copied up to the file's last write by the earlier controller.
    const since = entry.adopted || resume ? fileTime(entry.logFile) : undefined;
    const follower = new LogFollower(this.access, this.namespace, entry.name, CONTAINER_NAME, entry.logFile, this.log);
    entry.follower = follower;
    const header = resume ? '' : `--- baton: ${new Date().toISOString()} ${entry.adopted ? 'following' : 'started'} pod ${this.namespace}/${entry.name}${pod.spec?.nodeName ? ` on ${pod.spec.nodeName}` : ''} (session ${this.session}, ${entry.host}:${entry.port})\n`;
    void follower.start(header, since);
    void follower.done.then(() => {
      if (this.disposed || entry.follower !== follower || !entry.alive) return;
      // The stream broke (API server restart, dropped connection) while the application
      // runs: resume after the last line copied, backing off while nothing comes through.
      entry.logRetries = follower.bytes > 0 ? 0 : (entry.logRetries ?? 0) + 1;
      if (entry.logRetries > LOG_RETRIES) {
        this.warn(`stopped following the log of pod ${this.namespace}/${entry.name}: the log stream keeps failing`);
        return;
      }
      const timer = setTimeout(() => {
        if (!this.disposed && entry.alive && entry.follower === follower && entry.pod) this.startFollowing(entry, entry.pod, true);
      }, 250 * 2 ** entry.logRetries);
      timer.unref();
    });
  }

  private markExit(entry: Entry, why: string): void {
    if (!entry.alive) return;
    entry.alive = false;
    entry.reason = entry.stopReason ? `${entry.stopReason} (${why})` : why;
    this.log(`application "${entry.name}": ${entry.reason}`);
    const info = this.toInfo(entry);
    for (const l of [...this.exitListeners]) {
      try {
        l(info);
      } catch (err) {
        this.log(`onExit listener failed: ${(err as Error).message}`);
      }
    }
  }

  private notify(entry: Entry): void {
    for (const f of [...entry.changed]) f();
    if (!this.changeListeners.size) return;
    const info = this.toInfo(entry);
    for (const l of [...this.changeListeners]) {
      try {
        l(info);
      } catch (err) {
        this.log(`onChange listener failed: ${(err as Error).message}`);
      }
    }
  }

  private newEntry(name: string, port: number, adopted: boolean): Entry {
    let markGone!: () => void;
    const entry: Entry = {
      name,
      port,
      host: '',
      alive: true,
      exists: false,
      startedAt: Date.now(),
      logFile: path.join(this.logDir, `${name}.log`),
      adopted,
      changed: new Set(),
      gone: new Promise<void>((resolve) => (markGone = resolve)),
      markGone: () => markGone(),
      isGone: false,
    };
    this.entries.get(name)?.follower?.stop();
    this.entries.set(name, entry);
    return entry;
  }

  private toInfo(e: Entry): AppProcessInfo {
    const info: AppProcessInfo = {
      name: e.name,
      host: e.host,
      port: e.port,
      alive: e.alive,
      startedAt: e.startedAt,
      pod: {
        namespace: this.namespace,
        name: e.name,
        node: e.pod?.spec?.nodeName,
        status: e.pod ? podStatusText(e.pod) : e.alive ? 'Pending' : 'Gone',
        problem: e.pod ? podProblem(e.pod) : undefined,
      },
    };
    if (this.followLogs) info.logFile = e.logFile;
    const created = e.pod?.metadata?.creationTimestamp;
    if (created) info.startedAt = new Date(created).getTime();
    if (!e.alive) {
      info.reason = e.reason;
      info.expected = e.stopReason !== undefined;
      const term = e.pod?.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME)?.state?.terminated;
      info.exitCode = term ? term.exitCode : null;
      info.signal = term?.signal ? `signal ${term.signal}` : null;
    }
    return info;
  }
}

/** A short, stable digest of the configuration text, recorded on what Baton creates. */
export function configHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function fileTime(file: string): string | undefined {
  try {
    return fs.statSync(file).mtime.toISOString();
  } catch {
    return undefined;
  }
}

function collectApps(seg: RunConfig['root'], out: Map<string, AppConfig>): void {
  for (const c of seg.children) {
    if (c.kind === 'app') out.set(c.name, c);
    else collectApps(c, out);
  }
}

function onceAborted(signal: AbortSignal): { promise: Promise<void>; dispose: () => void } {
  let onAbort!: () => void;
  const promise = new Promise<void>((resolve) => {
    onAbort = resolve;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** At most `max` tasks at once; the rest wait in order. */
class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}
