// The language server's view of the clusters: per kubeconfig context, the nodes as last
// seen through a watch. Validation reads the cached snapshot and never waits; the first
// question about a context starts its watch, and every change that matters to placement
// is announced so open documents are checked again.
import type { ClusterInfoProvider, ClusterNodeFacts, ClusterSnapshot } from '../../config/services/cluster-info';
import { labelValues } from '../../config/services/cluster-info';
import type { ClusterInventory, InventoryOptions } from './cluster-inventory';
import type { KubeAccess, KubeAccessOptions } from './kube-access';

export interface ClusterSettings {
  /** kubeconfig file(s); else $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string;
  /** Context used when a configuration names none; else the kubeconfig's current context. */
  context?: string;
  /** False: answer nothing and contact no cluster (an untrusted workspace: kubeconfig exec plugins run code). */
  enabled?: boolean;
}

/** What the provider needs from the code that loads @kubernetes/client-node. */
export interface ClusterModules {
  loadKubeAccess: (o: KubeAccessOptions) => KubeAccess;
  ClusterInventory: typeof ClusterInventory;
}

export interface ProviderOptions {
  /**
   * Loads the Kubernetes client on first need: a bundle of its own in dist/ (so a server that
   * never sees a kubernetes configuration never parses it), or the modules themselves.
   */
  modules: () => ClusterModules;
  settings?: ClusterSettings;
  env?: NodeJS.ProcessEnv;
  /** Passed to each context's inventory (timeouts, retry pauses). */
  inventory?: Omit<InventoryOptions, 'access'>;
  /** Longest a completion waits for the first list of a context. */
  completionWaitMs?: number;
  /** Why a context is not available (kubeconfig problems, unreachable cluster), for the server's log. */
  log?: (message: string) => void;
}

/** Contexts watched at once; the least recently asked one is dropped beyond this. */
const MAX_CONTEXTS = 8;

interface Entry {
  key: string;
  inventory?: ClusterInventory;
  /** Settles when the first list answered or failed. */
  first: Promise<void>;
  error?: string;
  snapshot?: ClusterSnapshot;
  /** Per node, what placement depends on, to tell real changes from status heartbeats. */
  fingerprints: Map<string, string>;
  /** The problem last announced, so a new one (or its end) is announced once. */
  announcedProblem?: string;
  unsubscribe?: () => void;
}

export class KubeClusterInfoProvider implements ClusterInfoProvider {
  private settings: ClusterSettings;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();
  private modules?: Promise<ClusterModules>;
  private disposed = false;

  constructor(private readonly opts: ProviderOptions) {
    this.settings = { ...opts.settings };
  }

  /** New settings drop every watch; the next question starts the right one. */
  configure(settings: ClusterSettings): void {
    const same = settings.kubeconfig === this.settings.kubeconfig && settings.context === this.settings.context && settings.enabled === this.settings.enabled;
    this.settings = { ...settings };
    if (same) return;
    for (const e of this.entries.values()) this.drop(e);
    this.entries.clear();
    this.fire();
  }

  snapshot(context?: string): ClusterSnapshot | undefined {
    const e = this.entry(context);
    return e?.snapshot;
  }

  nodeLabels(context?: string): Promise<Record<string, string[]>> | undefined {
    const e = this.entry(context);
    if (!e) return undefined;
    if (e.snapshot) return Promise.resolve(labelValues(e.snapshot.nodes));
    const wait = this.opts.completionWaitMs ?? 1500;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([e.first, new Promise<void>((r) => (timer = setTimeout(r, wait)))]).then(() => {
      clearTimeout(timer);
      return e.snapshot ? labelValues(e.snapshot.nodes) : {};
    });
  }

  /** Why the context has no snapshot, if it failed. */
  problem(context?: string): string | undefined {
    const e = this.entries.get(this.keyOf(context));
    if (e?.error) return e.error;
    const state = e?.inventory?.nodeState;
    return state?.kind === 'error' ? state.message : undefined;
  }

  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.disposed = true;
    for (const e of this.entries.values()) this.drop(e);
    this.entries.clear();
    this.listeners.clear();
  }

  private keyOf(context: string | undefined): string {
    return context ?? this.settings.context ?? '';
  }

  private entry(context: string | undefined): Entry | undefined {
    if (this.disposed || this.settings.enabled === false) return undefined;
    const key = this.keyOf(context);
    const known = this.entries.get(key);
    if (known) {
      // Most recently asked last, so the oldest is dropped first.
      this.entries.delete(key);
      this.entries.set(key, known);
      return known;
    }
    const e: Entry = { key, first: Promise.resolve(), fingerprints: new Map() };
    e.first = this.open(e);
    this.entries.set(key, e);
    while (this.entries.size > MAX_CONTEXTS) {
      const [oldest] = this.entries.values();
      this.drop(oldest);
      this.entries.delete(oldest.key);
    }
    return e;
  }

  private async open(e: Entry): Promise<void> {
    let m: ClusterModules;
    try {
      this.modules ??= Promise.resolve().then(() => this.opts.modules());
      m = await this.modules;
    } catch (err) {
      e.error = `the Kubernetes client cannot be loaded: ${(err as Error).message}`;
      this.opts.log?.(e.error);
      return;
    }
    if (this.entries.get(e.key) !== e) return;
    let access: KubeAccess;
    try {
      access = m.loadKubeAccess({ kubeconfig: this.settings.kubeconfig || undefined, context: e.key || undefined, env: this.opts.env });
    } catch (err) {
      e.error = (err as Error).message;
      this.opts.log?.(`cluster checks off for ${e.key ? `context "${e.key}"` : 'the current context'}: ${e.error}`);
      e.announcedProblem = e.error;
      this.fire();
      return;
    }
    const inv = new m.ClusterInventory({ ...this.opts.inventory, access });
    e.inventory = inv;
    e.unsubscribe = inv.onDidChange((c) => this.update(e, c.nodes));
    await inv.watchNodes();
    inv.flush();
    if (inv.nodeState.kind === 'error') this.opts.log?.(`cluster checks waiting for context "${access.context}": ${inv.nodeState.message}`);
  }

  private update(e: Entry, changed: ReadonlySet<string> | 'all'): void {
    const inv = e.inventory;
    if (!inv || this.entries.get(e.key) !== e) return;
    if (inv.nodeState.kind !== 'ready' && !e.snapshot) {
      const problem = inv.nodeState.kind === 'error' ? inv.nodeState.message : undefined;
      if (problem !== e.announcedProblem) {
        e.announcedProblem = problem;
        this.fire();
      }
      return;
    }
    let differs = !e.snapshot;
    const names = changed === 'all' ? new Set([...inv.index.nodes.keys(), ...e.fingerprints.keys()]) : changed;
    for (const name of names) {
      const n = inv.index.nodes.get(name);
      const print = n ? fingerprint(n) : undefined;
      if (print !== e.fingerprints.get(name)) {
        differs = true;
        if (print === undefined) e.fingerprints.delete(name);
        else e.fingerprints.set(name, print);
      }
    }
    if (!differs) return;
    e.snapshot = {
      context: inv.context,
      nodes: [...inv.index.nodes.values()].map((n): ClusterNodeFacts => ({ name: n.name, labels: n.labels, allocatable: n.allocatable, taints: n.taints, ready: n.ready, unschedulable: n.unschedulable })),
    };
    this.fire();
  }

  private drop(e: Entry): void {
    e.unsubscribe?.();
    e.inventory?.dispose();
  }

  private fire(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        // a listener's failure is its own
      }
    }
  }
}

function fingerprint(n: ClusterNodeFacts): string {
  return JSON.stringify([n.labels, n.allocatable, n.taints, n.ready, n.unschedulable]);
}
