import { describeKubeError, kubeErrorStatus, KubernetesError, withTimeout, type KubeAccess } from './kube-access';
import { kube, type V1Pod } from './client';

export interface PodWatchOptions {
  access: KubeAccess;
  namespace: string;
  labelSelector: string;
  /** Every pod seen, added or changed. */
  onPod: (pod: V1Pod) => void;
  /** A pod that is gone (deleted, or missing from a fresh list). */
  onDeleted: (pod: V1Pod) => void;
  /** After each complete list: the names present. */
  onSynced?: (names: Set<string>) => void;
  /** Connection problems, as one sentence each (while it keeps retrying). */
  onTrouble?: (message: string) => void;
  log?: (msg: string) => void;
  /** First pause before a retry; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A list taking longer counts as the cluster being unreachable. */
  requestTimeoutMs?: number;
}

/**
 * The session's one watch on its pods: list, then watch from the list's resourceVersion.
 * A watch that ends (server timeout, dropped connection) resumes from the last version
 * seen; one that gets 410 Gone, or fails to connect, starts again with a fresh list,
 * after which pods absent from the list are reported deleted. So the picture is right
 * after any outage, without polling.
 */
export class PodWatch {
  private readonly pods = new Map<string, V1Pod>();
  private resourceVersion?: string;
  private controller?: AbortController;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failures = 0;
  private firstSync?: Promise<void>;
  private resolveFirst?: () => void;
  private rejectFirst?: (e: Error) => void;
  private generation = 0;

  constructor(private readonly opts: PodWatchOptions) {}

  /** Starts, resolving after the first complete list (rejecting if that fails). */
  start(): Promise<void> {
    if (!this.firstSync) {
      this.firstSync = new Promise<void>((resolve, reject) => {
        this.resolveFirst = resolve;
        this.rejectFirst = reject;
      });
      void this.relist();
    }
    return this.firstSync;
  }

  /** The last state seen of a pod. */
  get(name: string): V1Pod | undefined {
    return this.pods.get(name);
  }

  /** Names of the pods currently known. */
  names(): string[] {
    return [...this.pods.keys()];
  }

  get size(): number {
    return this.pods.size;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.generation++;
    this.controller?.abort();
    this.controller = undefined;
  }

  /** Forces a fresh list now (e.g. to reconcile after a long outage). */
  resync(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.generation++;
    this.controller?.abort();
    void this.relist();
  }

  private async relist(): Promise<void> {
    const gen = ++this.generation;
    const { access, namespace, labelSelector } = this.opts;
    try {
      const list = await withTimeout(access.core().listNamespacedPod({ namespace, labelSelector }), `list pods in namespace ${namespace}`, access, this.opts.requestTimeoutMs);
      if (this.stopped || gen !== this.generation) return;
      const present = new Set<string>();
      for (const pod of list.items) {
        const name = pod.metadata?.name;
        if (!name) continue;
        present.add(name);
        this.pods.set(name, pod);
        this.opts.onPod(pod);
      }
      for (const [name, pod] of [...this.pods]) {
        if (present.has(name)) continue;
        this.pods.delete(name);
        this.opts.onDeleted(pod);
      }
      this.resourceVersion = list.metadata?.resourceVersion;
      this.failures = 0;
      this.opts.onSynced?.(present);
      this.resolveFirst?.();
      this.resolveFirst = this.rejectFirst = undefined;
      await this.watch(gen);
    } catch (err) {
      if (this.stopped || gen !== this.generation) return;
      const message = err instanceof KubernetesError ? err.message : describeKubeError(err, `list pods in namespace ${namespace}`, access);
      if (this.rejectFirst) {
        // Nobody is watching yet: fail this start, and let a later start() try afresh.
        this.rejectFirst(new KubernetesError(message));
        this.resolveFirst = this.rejectFirst = undefined;
        this.firstSync = undefined;
        return;
      }
      this.opts.onTrouble?.(message);
      this.retry(() => this.relist());
    }
  }

  private async watch(gen: number): Promise<void> {
    const { access, namespace, labelSelector } = this.opts;
    let needList = false;
    let ended = false;
    const startedAt = Date.now();
    const finish = (err: unknown): void => {
      if (ended) return;
      ended = true;
      if (this.stopped || gen !== this.generation) return;
      if (needList || kubeErrorStatus(err) === 410) {
        this.opts.log?.(`watch of pods in ${namespace}: history expired (410 Gone); listing again`);
        void this.relist();
        return;
      }
      if (err) {
        this.opts.onTrouble?.(describeKubeError(err, `watch pods in namespace ${namespace}`, access));
        this.retry(() => this.relist());
        return;
      }
      // A clean end (server-side timeout, or the connection was closed): resume at once,
      // unless watches keep ending as soon as they start, which is trouble in disguise.
      const quick = Date.now() - startedAt < 1000;
      this.retry(() => void this.watch(gen).catch(() => this.retry(() => this.relist())), !quick);
    };
    const watch = new (kube().Watch)(access.kc);
    const controller = await watch.watch(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
      { labelSelector, resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
      (type: string, obj: V1Pod & { code?: number }) => {
        if (this.stopped || gen !== this.generation) return;
        if (type === 'ERROR') {
          if (obj?.code === 410) needList = true;
          return;
        }
        const rv = obj?.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        this.failures = 0;
        if (type === 'BOOKMARK') return;
        const name = obj?.metadata?.name;
        if (!name) return;
        if (type === 'DELETED') {
          this.pods.delete(name);
          this.opts.onDeleted(obj);
        } else {
          this.pods.set(name, obj);
          this.opts.onPod(obj);
        }
      },
      finish,
    );
    if (this.stopped || gen !== this.generation) controller.abort();
    else this.controller = controller;
  }

  private retry(fn: () => void, immediate = false): void {
    if (this.stopped) return;
    const base = this.opts.backoffMs ?? 200;
    const delay = immediate ? 0 : Math.min(this.opts.maxBackoffMs ?? 5000, base * 2 ** this.failures);
    if (!immediate) this.failures++;
    clearTimeout(this.timer);
    this.timer = setTimeout(fn, delay);
    this.timer.unref?.();
  }
}
