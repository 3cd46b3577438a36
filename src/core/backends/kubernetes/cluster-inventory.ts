// The nodes of one cluster and the pods of Baton sessions on them, kept current by a list
// and a watch per kind (re-listed on 410 Gone, re-watched after a dropped connection), with
// change events coalesced per burst. Pure of VS Code: the Clusters view and the language
// server's cluster provider both read it.
import type { ClusterNodeFacts } from '../../config/services/cluster-info';
import type { KubeAccess } from './kube-access';
import { describeKubeError, kubeErrorStatus } from './kube-access';
import { kube, type V1Node, type V1Pod } from './client';
import { LABEL_APP, LABEL_MANAGED_BY, LABEL_SESSION, MANAGED_BY } from './pod-spec';
import { podProblem, podStatusText } from './pod-status';

/** Label every pod of a Baton session carries; the pod watch selects on it. */
export const MANAGED_BY_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;

const ROLE_PREFIX = 'node-role.kubernetes.io/';
/** Allocatable entries shown as CPU/memory or not at all; the rest are extended resources. */
const NOT_EXTENDED = new Set(['cpu', 'memory', 'pods', 'ephemeral-storage']);

export interface NodeSummary extends ClusterNodeFacts {
  /** From `node-role.kubernetes.io/<role>` labels (and the older `kubernetes.io/role`). */
  roles: string[];
  /** Why the node is not Ready (the condition's reason and message), when it is not. */
  notReadyReason?: string;
  /** Other conditions that are True and mean trouble (MemoryPressure, DiskPressure, ...). */
  pressure: string[];
  cpu?: string;
  memory?: string;
  /** Allocatable extended resources (felix.cern/card: "1", hugepages-1Gi...). */
  extended: Record<string, string>;
  address?: string;
  kubeletVersion?: string;
}

/** A pod of a Baton session as the Clusters view shows it. */
export interface PodSummary {
  /** namespace/name: unique in a cluster, and stable across a re-list (uids are not needed). */
  key: string;
  namespace: string;
  name: string;
  /** The node it is bound to; undefined while unscheduled. */
  node?: string;
  session?: string;
  app?: string;
  /** kubectl's STATUS words. */
  status: string;
  /** One sentence when something is wrong (the scheduler's reason, an exit...). */
  problem?: string;
  ip?: string;
  labels: Record<string, string>;
  /** Container names, the first being the application's (for the log API). */
  containers: string[];
}

type Obj = Record<string, unknown>;

export function summarizeNode(node: V1Node): NodeSummary {
  const labels = { ...(node.metadata?.labels ?? {}) };
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length)
    .map((k) => k.slice(ROLE_PREFIX.length));
  if (labels['kubernetes.io/role'] && !roles.includes(labels['kubernetes.io/role'])) roles.push(labels['kubernetes.io/role']);
  roles.sort();
  const conditions = node.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const allocatable: Record<string, string> = {};
  for (const [k, v] of Object.entries(node.status?.allocatable ?? {})) allocatable[k] = String(v);
  const extended: Record<string, string> = {};
  for (const [k, v] of Object.entries(allocatable)) if (!NOT_EXTENDED.has(k)) extended[k] = v;
  const isReady = ready?.status === 'True';
  return {
    name: node.metadata?.name ?? '',
    labels,
    allocatable,
    taints: (node.spec?.taints ?? []).map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect })),
    ready: isReady,
    unschedulable: node.spec?.unschedulable === true,
    roles,
    notReadyReason: isReady ? undefined : ready ? [ready.reason, ready.message].filter(Boolean).join(': ') || `Ready is ${ready.status}` : 'no Ready condition reported',
    pressure: conditions.filter((c) => c.type !== 'Ready' && c.status === 'True' && /Pressure$|Unavailable$/.test(c.type)).map((c) => c.type),
    cpu: allocatable.cpu,
    memory: allocatable.memory,
    extended,
    address: (node.status?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address,
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion,
  };
}

export function summarizePod(pod: V1Pod): PodSummary {
  const labels = { ...(pod.metadata?.labels ?? {}) };
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    node: pod.spec?.nodeName || undefined,
    session: labels[LABEL_SESSION] || undefined,
    app: labels[LABEL_APP] || undefined,
    status: podStatusText(pod),
    problem: podProblem(pod),
    ip: pod.status?.podIP || undefined,
    labels,
    containers: (pod.spec?.containers ?? []).map((c) => c.name),
  };
}

/**
 * The cluster as last seen, indexed for the view: nodes by name, pods by the node they are
 * on (unscheduled ones under ''), so listing a node's pods never scans the cluster.
 */
export class ClusterIndex {
  readonly nodes = new Map<string, NodeSummary>();
  private readonly pods = new Map<string, PodSummary>();
  private readonly byNode = new Map<string, Map<string, PodSummary>>();

  /** Applies a watch event or a listed object; returns the node names whose content changed. */
  applyNode(type: 'ADDED' | 'MODIFIED' | 'DELETED', node: V1Node): string[] {
    const name = node.metadata?.name;
    if (!name) return [];
    if (type === 'DELETED') this.nodes.delete(name);
    else this.nodes.set(name, summarizeNode(node));
    return [name];
  }

  applyPod(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: V1Pod): string[] {
    const next = summarizePod(pod);
    const prior = this.pods.get(next.key);
    if (prior) this.byNode.get(prior.node ?? '')?.delete(prior.key);
    if (type === 'DELETED') this.pods.delete(next.key);
    else {
      this.pods.set(next.key, next);
      const at = next.node ?? '';
      let bucket = this.byNode.get(at);
      if (!bucket) this.byNode.set(at, (bucket = new Map()));
      bucket.set(next.key, next);
    }
    const touched = new Set([prior?.node ?? '', type === 'DELETED' ? (prior?.node ?? '') : (next.node ?? '')]);
    return [...touched];
  }

  replaceNodes(items: V1Node[]): void {
    this.nodes.clear();
    for (const n of items) this.applyNode('ADDED', n);
  }

  replacePods(items: V1Pod[]): void {
    this.pods.clear();
    this.byNode.clear();
    for (const p of items) this.applyPod('ADDED', p);
  }

  clearPods(): void {
    this.pods.clear();
    this.byNode.clear();
  }

  /** Pods bound to a node ('' = not scheduled yet), sorted by session then app. */
  podsOn(node: string): PodSummary[] {
    const bucket = this.byNode.get(node);
    if (!bucket) return [];
    return [...bucket.values()].sort((a, b) => cmp(a.session, b.session) || cmp(a.app, b.app) || cmp(a.name, b.name));
  }

  podCount(node: string): number {
    return this.byNode.get(node)?.size ?? 0;
  }

  pod(key: string): PodSummary | undefined {
    return this.pods.get(key);
  }

  findPod(predicate: (p: PodSummary) => boolean): PodSummary | undefined {
    for (const p of this.pods.values()) if (predicate(p)) return p;
    return undefined;
  }

  get podTotal(): number {
    return this.pods.size;
  }

  /** Nodes sorted by name. */
  nodeList(): NodeSummary[] {
    return [...this.nodes.values()].sort((a, b) => cmp(a.name, b.name));
  }
}

function cmp(a: string | undefined, b: string | undefined): number {
  return (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;
}

/** What the inventory knows of one kind: loading, current, or failing (with the reason). */
export type StreamState = { kind: 'idle' } | { kind: 'loading' } | { kind: 'ready' } | { kind: 'error'; message: string; since: number };

export interface InventoryOptions {
  access: Pick<KubeAccess, 'context' | 'server' | 'core' | 'kc'>;
  /** Changes arriving within this many ms are reported once (default 50). */
  coalesceMs?: number;
  /** A list or the first byte of a watch taking longer than this counts as unreachable (default 10 s). */
  requestTimeoutMs?: number;
  /** Pause before reconnecting after a failure, doubled up to maxRetryMs (default 500 ms, 30 s). */
  retryMs?: number;
  maxRetryMs?: number;
}

/** Which node names changed ('all' after a re-list), and whether the state of a stream changed. */
export type InventoryChange = { nodes: ReadonlySet<string> | 'all' };

/**
 * List+watch of nodes (always, once started) and of Baton pods (only while asked for) of one
 * context. Never throws to its caller: failures become a state with a plain reason, and the
 * streams reconnect by themselves (with backoff) until disposed.
 */
export class ClusterInventory {
  readonly index = new ClusterIndex();
  private readonly listeners = new Set<(c: InventoryChange) => void>();
  private readonly nodeStream: Stream;
  private readonly podStream: Stream;
  private changed = new Set<string>();
  private changedAll = false;
  private timer?: NodeJS.Timeout;
  private disposed = false;

  constructor(private readonly opts: InventoryOptions) {
    const core = () => opts.access.core();
    this.nodeStream = new Stream(this, 'nodes', '/api/v1/nodes', {}, async () => {
      const list = await core().listNode();
      return { items: list.items, rv: list.metadata?.resourceVersion };
    }, {
      replace: (items) => this.index.replaceNodes(items as V1Node[]),
      apply: (type, obj) => this.index.applyNode(type, obj as V1Node),
    });
    this.podStream = new Stream(this, 'pods', '/api/v1/pods', { labelSelector: MANAGED_BY_SELECTOR }, async () => {
      const list = await core().listPodForAllNamespaces({ labelSelector: MANAGED_BY_SELECTOR });
      return { items: list.items, rv: list.metadata?.resourceVersion };
    }, {
      replace: (items) => this.index.replacePods(items as V1Pod[]),
      apply: (type, obj) => this.index.applyPod(type, obj as V1Pod),
      clear: () => this.index.clearPods(),
    });
  }

  get context(): string {
    return this.opts.access.context;
  }

  get server(): string {
    return this.opts.access.server;
  }

  get nodeState(): StreamState {
    return this.nodeStream.state;
  }

  get podState(): StreamState {
    return this.podStream.state;
  }

  /** Starts watching nodes; resolves once the first list answered or failed (never rejects). */
  watchNodes(): Promise<void> {
    return this.nodeStream.start();
  }

  /** Starts watching Baton pods; resolves once the first list answered or failed (never rejects). */
  watchPods(): Promise<void> {
    return this.podStream.start();
  }

  /** Stops the pod watch (nobody looks at pods any more); nodes keep being watched. */
  stopPods(): void {
    this.podStream.stop();
  }

  get watchingPods(): boolean {
    return this.podStream.running;
  }

  onDidChange(listener: (c: InventoryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands pending changes to the listeners now (tests and dispose). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.changedAll && this.changed.size === 0) return;
    const change: InventoryChange = { nodes: this.changedAll ? 'all' : this.changed };
    this.changed = new Set();
    this.changedAll = false;
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch {
        // a listener's failure is its own; the inventory keeps going
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.nodeStream.stop();
    this.podStream.stop();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  /** @internal called by the streams */
  noteChange(nodes: string[] | 'all'): void {
    if (this.disposed) return;
    if (nodes === 'all') this.changedAll = true;
    else for (const n of nodes) this.changed.add(n);
    this.timer ??= setTimeout(() => this.flush(), this.opts.coalesceMs ?? 50);
  }

  /** @internal */
  get settings(): Required<Omit<InventoryOptions, 'access' | 'coalesceMs'>> & Pick<InventoryOptions, 'access'> {
    return { access: this.opts.access, requestTimeoutMs: this.opts.requestTimeoutMs ?? 10_000, retryMs: this.opts.retryMs ?? 500, maxRetryMs: this.opts.maxRetryMs ?? 30_000 };
  }
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Sink {
  replace(items: unknown[]): void;
  apply(type: EventType, obj: unknown): string[];
  clear?(): void;
}

/** One list-then-watch loop. */
class Stream {
  state: StreamState = { kind: 'idle' };
  running = false;
  private generation = 0;
  private abort?: AbortController;
  private retryTimer?: NodeJS.Timeout;
  private first?: Promise<void>;
  private rv?: string;
  private failures = 0;
  private quickCloses = 0;

  constructor(
    private readonly owner: ClusterInventory,
    private readonly what: string,
    private readonly path: string,
    private readonly query: Record<string, string>,
    private readonly list: () => Promise<{ items: unknown[]; rv?: string }>,
    private readonly sink: Sink,
  ) {}

  start(): Promise<void> {
    if (this.running && this.first) return this.first;
    this.running = true;
    const gen = ++this.generation;
    this.state = { kind: 'loading' };
    this.first = new Promise<void>((resolve) => void this.relist(gen, resolve));
    return this.first;
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    this.abort?.abort();
    this.abort = undefined;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.first = undefined;
    this.rv = undefined;
    this.state = { kind: 'idle' };
    if (this.sink.clear) {
      this.sink.clear();
      this.owner.noteChange('all');
    }
  }

  private live(gen: number): boolean {
    return this.running && gen === this.generation;
  }

  private async relist(gen: number, settled?: () => void): Promise<void> {
    const { requestTimeoutMs } = this.owner.settings;
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        this.list(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${requestTimeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), requestTimeoutMs);
        }),
      ]);
      if (!this.live(gen)) return;
      this.sink.replace(result.items);
      this.rv = result.rv;
      this.failures = 0;
      this.state = { kind: 'ready' };
      this.owner.noteChange('all');
      settled?.();
      this.watch(gen);
    } catch (err) {
      if (!this.live(gen)) return;
      this.fail(gen, err, `list ${this.what}`);
      settled?.();
    } finally {
      clearTimeout(timer);
    }
  }

  private fail(gen: number, err: unknown, what: string): void {
    const message = describeKubeError(err, what, this.owner.settings.access);
    if (this.state.kind !== 'error' || this.state.message !== message) {
      this.state = { kind: 'error', message, since: Date.now() };
      this.owner.noteChange('all');
    }
    const { retryMs, maxRetryMs } = this.owner.settings;
    const delay = Math.min(maxRetryMs, retryMs * 2 ** Math.min(this.failures++, 16));
    this.rv = undefined;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.live(gen)) void this.relist(gen);
    }, delay);
  }

  private watch(gen: number): void {
    const access = this.owner.settings.access;
    let gone = false;
    let events = 0;
    const started = Date.now();
    const onEvent = (type: string, obj: unknown) => {
      if (!this.live(gen)) return;
      if (type === 'ERROR') {
        // 410 Gone: the resourceVersion is too old; only a fresh list is correct now.
        if ((obj as Obj | undefined)?.code === 410) gone = true;
        return;
      }
      const rv = ((obj as { metadata?: { resourceVersion?: string } } | undefined)?.metadata ?? {}).resourceVersion;
      if (rv) this.rv = rv;
      if (type === 'BOOKMARK') return;
      if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
        events++;
        this.owner.noteChange(this.sink.apply(type, obj));
      }
    };
    const onDone = (err: unknown) => {
      if (!this.live(gen)) return;
      this.abort = undefined;
      if (gone || kubeErrorStatus(err) === 410) {
        void this.relist(gen);
      } else if (err) {
        this.fail(gen, err, `watch ${this.what}`);
      } else if (events === 0 && Date.now() - started < 1000) {
        // A stream that ends at once without news is not hammered: wait before the next one.
        const { retryMs, maxRetryMs } = this.owner.settings;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          if (this.live(gen)) this.watch(gen);
        }, Math.min(maxRetryMs, retryMs * 2 ** Math.min(this.quickCloses++, 16)));
      } else {
        // The server ends watches after a while; continue from the last version seen.
        this.quickCloses = 0;
        this.watch(gen);
      }
    };
    const query: Record<string, string> = { ...this.query, allowWatchBookmarks: 'true' };
    if (this.rv) query.resourceVersion = this.rv;
    new (kube().Watch)(access.kc)
      .watch(this.path, query, onEvent, onDone)
      .then((controller) => {
        if (this.live(gen)) this.abort = controller;
        else controller.abort();
      })
      .catch(onDone);
  }
}
