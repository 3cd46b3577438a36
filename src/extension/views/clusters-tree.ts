import * as os from 'node:os';
import * as vscode from 'vscode';
import type { ClusterInventory, InventoryChange, PodSummary } from '../../core/backends/kubernetes/cluster-inventory';
import type { KubeAccess } from '../../core/backends/kubernetes/kube-access';
import type { SessionEvent } from '../../core/control/events';
import type { Session } from '../../core/control/session';
import type { AppNode } from '../../core/control/tree';
import { lazyBundle } from '../lazy-module';
import { Coalescer } from './coalescer';
import * as model from './clusters-model';
import type { AppFsmState, ClusterElement } from './clusters-model';
import { nodeView, presentNode as presentControlNode, type ItemPresentation } from './tree-presentation';
import { toTreeItem } from './tree-item';

export type ClustersCore = typeof import('../session-core');
/** @kubernetes/client-node lives in dist/session-core.js, parsed with the first context listed. */
const clustersCore = lazyBundle<ClustersCore>('session-core');

/** Where the view reads its settings; a test or another host can pass its own. */
export interface ClusterViewSettings {
  kubeconfig(): string | undefined;
  context(): string | undefined;
  trusted(): boolean;
}

export const vscodeClusterSettings: ClusterViewSettings = {
  kubeconfig: () => vscode.workspace.getConfiguration('baton').get<string>('kubeconfig') || undefined,
  context: () => vscode.workspace.getConfiguration('baton').get<string>('kubernetes.context') || undefined,
  trusted: () => vscode.workspace.isTrusted,
};

interface ContextEntry {
  name: string;
  server?: string;
  access?: KubeAccess;
  inventory?: ClusterInventory;
  error?: string;
  opening?: Promise<void>;
  unsubscribe?: () => void;
  readyCount?: number;
}

interface Roots {
  contexts: string[];
  selected?: string;
  /** Why no context can be listed, or why the selected one is not usable. */
  problem?: string;
  servers: Map<string, string>;
}

/** The session this view reads FSM states from. */
export interface SessionSource {
  readonly session: Session | undefined;
  readonly onDidChangeSession: vscode.Event<Session | undefined>;
}

/**
 * The Clusters view: kubeconfig contexts -> nodes -> the pods of Baton sessions, next to this
 * machine and the local session's applications. A context's nodes and pods are watched only
 * while it is expanded (from its first getChildren until it is collapsed or the view is
 * disposed); changes are coalesced into one refresh per burst, so nothing is polled.
 */
export class ClustersTreeProvider implements vscode.TreeDataProvider<ClusterElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ClusterElement | ClusterElement[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly elements = new Map<string, ClusterElement>();
  private readonly contexts = new Map<string, ContextEntry>();
  private roots?: Promise<Roots>;
  private readonly coalescer: Coalescer<string>;
  private session?: Session;
  private unsubscribeSession?: () => void;
  private readonly disposables: vscode.Disposable[] = [];
  /** Contexts the user collapsed, so that a refresh does not expand (and watch) them again. */
  private readonly userCollapsed = new Set<string>();
  refreshCount = 0;

  constructor(
    private readonly sessions: SessionSource,
    private readonly settings: ClusterViewSettings = vscodeClusterSettings,
    private readonly core: () => ClustersCore = clustersCore,
  ) {
    this.coalescer = new Coalescer<string>((keys) => {
      this.refreshCount++;
      if (keys === 'all') return this.changed.fire(undefined);
      const els = [...keys].map((k) => this.elements.get(k)).filter((e): e is ClusterElement => e !== undefined);
      if (els.length) this.changed.fire(els);
    }, 50);
    this.attach(sessions.session);
    this.disposables.push(sessions.onDidChangeSession((s) => this.attach(s)));
  }

  /** Forget every context and watch (settings or trust changed): the next look starts afresh. */
  reset(): void {
    for (const c of this.contexts.values()) this.stopContext(c);
    this.contexts.clear();
    this.elements.clear();
    this.roots = undefined;
    this.coalescer.cancel();
    this.refreshCount++;
    this.changed.fire(undefined);
  }

  // ---- TreeDataProvider ---------------------------------------------------------------

  getTreeItem(e: ClusterElement): vscode.TreeItem {
    return toTreeItem(this.present(e));
  }

  present(e: ClusterElement): ItemPresentation {
    switch (e.kind) {
      case 'local': {
        const s = this.localSession();
        return model.presentLocal(os.hostname(), s ? { name: s.name, appCount: s.tree.apps.length } : undefined);
      }
      case 'localApp': {
        const s = this.localSession();
        const app = s?.tree.app(e.app);
        if (!s || !app) return model.presentMessage(e.id, `${e.app} (gone)`, 'info');
        const p = presentControlNode(nodeView(app, s));
        return { ...p, id: e.id, contextValue: `baton.localApp;in-session;${p.contextValue}` };
      }
      case 'context': {
        const c = this.contexts.get(e.context);
        const inv = c?.inventory;
        const state = c?.error || inv?.nodeState.kind === 'error' ? 'error' : !inv ? 'idle' : inv.nodeState.kind === 'ready' ? 'ready' : inv.nodeState.kind === 'idle' ? 'idle' : 'loading';
        const nodes = inv ? [...inv.index.nodes.values()] : [];
        return model.presentContext({
          name: e.context,
          server: c?.server ?? c?.access?.server,
          selected: e.context === this.selectedContext,
          state,
          error: c?.error ?? (inv?.nodeState.kind === 'error' ? inv.nodeState.message : undefined),
          nodeCount: inv ? nodes.length : undefined,
          readyCount: nodes.filter((n) => n.ready).length,
          podCount: inv?.index.podTotal,
          collapsedByUser: this.userCollapsed.has(e.context),
        });
      }
      case 'node': {
        const inv = this.contexts.get(e.context)?.inventory;
        const n = inv?.index.nodes.get(e.node);
        if (!inv || !n) return model.presentMessage(e.id, `${e.node} (gone)`, 'info');
        return model.presentNode(e.context, n, inv.index.podCount(e.node));
      }
      case 'unscheduled':
        return model.presentUnscheduled(e.context, this.contexts.get(e.context)?.inventory?.index.podCount(model.UNSCHEDULED) ?? 0);
      case 'pod': {
        const p = this.contexts.get(e.context)?.inventory?.index.pod(e.pod);
        if (!p) return model.presentMessage(e.id, `${e.pod} (gone)`, 'info');
        return model.presentPod(e.context, e.node, p, this.fsmOf(e.context, p));
      }
      case 'message':
        return model.presentMessage(e.id, e.text, e.severity);
    }
  }

  async getChildren(e?: ClusterElement): Promise<ClusterElement[]> {
    if (!e) return this.rootChildren();
    switch (e.kind) {
      case 'local': {
        const s = this.localSession();
        if (!s) return [this.message(e.id, 'No local session: boot a run configuration with backend: local to see its applications here.', 'info')];
        return s.tree.apps.map((a) => this.element({ kind: 'localApp', id: model.ids.localApp(a.name), app: a.name }));
      }
      case 'context':
        return this.contextChildren(e.context);
      case 'node':
      case 'unscheduled': {
        const inv = this.contexts.get(e.context)?.inventory;
        if (!inv) return [];
        const node = e.kind === 'node' ? e.node : model.UNSCHEDULED;
        return inv.index.podsOn(node).map((p) => this.element({ kind: 'pod', id: model.ids.pod(e.context, node, p.key), context: e.context, node, pod: p.key }));
      }
      default:
        return [];
    }
  }

  getParent(e: ClusterElement): ClusterElement | undefined {
    switch (e.kind) {
      case 'localApp':
        return this.element({ kind: 'local', id: model.LOCAL_ID });
      case 'node':
      case 'unscheduled':
        return this.element({ kind: 'context', id: model.ids.context(e.context), context: e.context });
      case 'pod':
        return e.node === model.UNSCHEDULED
          ? this.element({ kind: 'unscheduled', id: model.ids.unscheduled(e.context), context: e.context })
          : this.element({ kind: 'node', id: model.ids.node(e.context, e.node), context: e.context, node: e.node });
      case 'message':
        return this.elements.get(e.parent);
      default:
        return undefined;
    }
  }

  /** The view expanded an element (its children are asked for right after). */
  expanded(e: ClusterElement): void {
    if (e.kind === 'context') this.userCollapsed.delete(e.context);
  }

  /** Hands pending refreshes to the view now, so that a reveal right after is not undone by them. */
  settle(): void {
    this.coalescer.flush();
  }

  /** The view collapsed an element: a collapsed context watches nothing. */
  collapsed(e: ClusterElement): void {
    if (e.kind !== 'context') return;
    this.userCollapsed.add(e.context);
    const c = this.contexts.get(e.context);
    if (!c) return;
    this.stopContext(c);
    // Refreshing the collapsed element makes the next expansion ask for children again, which restarts the watch.
    this.coalescer.add(e.id);
  }

  /** Contexts whose watches run, and of what. */
  watching(): Array<{ context: string; nodes: string; pods: string }> {
    return [...this.contexts.values()].filter((c) => c.inventory).map((c) => ({ context: c.name, nodes: c.inventory!.nodeState.kind, pods: c.inventory!.podState.kind }));
  }

  dispose(): void {
    for (const c of this.contexts.values()) this.stopContext(c);
    this.contexts.clear();
    this.unsubscribeSession?.();
    this.coalescer.dispose();
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }

  // ---- what other commands need -------------------------------------------------------

  get selectedContext(): string | undefined {
    return this.settings.context() ?? this.rootsSync?.selected;
  }

  /** Contexts of the kubeconfig, with the selected one. */
  async listContexts(): Promise<Roots> {
    return (this.roots ??= this.loadRoots());
  }

  /** A pod element by its summary, for reveal. */
  async findPod(context: string, match: (p: PodSummary) => boolean): Promise<ClusterElement | undefined> {
    await this.contextChildren(context);
    const inv = this.contexts.get(context)?.inventory;
    const p = inv?.index.findPod(match);
    if (!p) return undefined;
    const node = p.node ?? model.UNSCHEDULED;
    return this.element({ kind: 'pod', id: model.ids.pod(context, node, p.key), context, node, pod: p.key });
  }

  podOf(e: ClusterElement): { pod: PodSummary; access: KubeAccess } | undefined {
    if (e.kind !== 'pod') return undefined;
    const c = this.contexts.get(e.context);
    const pod = c?.inventory?.index.pod(e.pod);
    return pod && c?.access ? { pod, access: c.access } : undefined;
  }

  nodeOf(e: ClusterElement): { labels: Readonly<Record<string, string>>; name: string } | undefined {
    if (e.kind !== 'node') return undefined;
    const n = this.contexts.get(e.context)?.inventory?.index.nodes.get(e.node);
    return n && { labels: n.labels, name: n.name };
  }

  localAppElement(app: string): ClusterElement | undefined {
    return this.localSession()?.tree.app(app) ? this.element({ kind: 'localApp', id: model.ids.localApp(app), app }) : undefined;
  }

  // ---- internals ----------------------------------------------------------------------

  private rootsSync?: Roots;

  private async rootChildren(): Promise<ClusterElement[]> {
    const local = this.element({ kind: 'local', id: model.LOCAL_ID });
    if (!this.settings.trusted()) return [local, this.message('root', 'Restricted Mode: clusters are not contacted in an untrusted workspace (a kubeconfig can run programs).', 'info')];
    const roots = await this.listContexts();
    const out: ClusterElement[] = [local];
    if (roots.problem) out.push(this.message('root', roots.problem, 'error'));
    for (const name of roots.contexts) {
      const entry = this.contexts.get(name) ?? { name };
      entry.server = roots.servers.get(name);
      this.contexts.set(name, entry);
      out.push(this.element({ kind: 'context', id: model.ids.context(name), context: name }));
    }
    return out;
  }

  private async loadRoots(): Promise<Roots> {
    let core: ClustersCore;
    try {
      core = this.core();
    } catch (err) {
      return { contexts: [], servers: new Map(), problem: `The Kubernetes client cannot be loaded: ${(err as Error).message}` };
    }
    const kubeconfig = this.settings.kubeconfig();
    const wanted = this.settings.context();
    let access: KubeAccess | undefined;
    let problem: string | undefined;
    try {
      access = core.loadKubeAccess({ kubeconfig, context: wanted });
    } catch (err) {
      problem = (err as Error).message;
      // The selected context may be the only thing wrong: list the others all the same.
      if (wanted) {
        try {
          access = core.loadKubeAccess({ kubeconfig });
        } catch {
          access = undefined;
        }
      }
    }
    const servers = new Map<string, string>();
    if (!access) {
      const roots = { contexts: [], servers, problem };
      this.rootsSync = roots;
      return roots;
    }
    const contexts = access.kc.getContexts().map((c) => c.name);
    for (const c of access.kc.getContexts()) {
      const server = access.kc.getCluster(c.cluster)?.server;
      if (server) servers.set(c.name, server);
    }
    const roots: Roots = { contexts, servers, selected: problem ? undefined : access.context, problem };
    this.rootsSync = roots;
    return roots;
  }

  private async contextChildren(name: string): Promise<ClusterElement[]> {
    const parent = model.ids.context(name);
    let c = this.contexts.get(name);
    if (!c) this.contexts.set(name, (c = { name }));
    if (!c.inventory && !c.error) {
      c.opening ??= this.openContext(c);
      await c.opening;
    }
    if (c.error) return [this.message(parent, c.error, 'error')];
    const inv = c.inventory;
    if (!inv) return [];
    // Both first lists are bounded (InventoryOptions.requestTimeoutMs): no endless spinner.
    await Promise.all([inv.watchNodes(), inv.watchPods()]);
    if (this.contexts.get(name) !== c || c.inventory !== inv) return [];
    const out: ClusterElement[] = [];
    if (inv.nodeState.kind === 'error') out.push(this.message(parent, inv.nodeState.message, 'error'));
    // Without nodes, why pods cannot be read adds nothing: one reason is shown.
    else if (inv.podState.kind === 'error') out.push(this.message(parent, inv.podState.message, 'error', 1));
    if (inv.index.podCount(model.UNSCHEDULED) > 0) out.push(this.element({ kind: 'unscheduled', id: model.ids.unscheduled(name), context: name }));
    for (const n of inv.index.nodeList()) out.push(this.element({ kind: 'node', id: model.ids.node(name, n.name), context: name, node: n.name }));
    if (out.length === 0) out.push(this.message(parent, 'No nodes.', 'info'));
    c.readyCount = inv.index.nodeList().filter((n) => n.ready).length;
    return out;
  }

  private async openContext(c: ContextEntry): Promise<void> {
    try {
      const core = this.core();
      const access = core.loadKubeAccess({ kubeconfig: this.settings.kubeconfig(), context: c.name });
      c.access = access;
      c.server = access.server;
      const inv = new core.ClusterInventory({ access });
      c.inventory = inv;
      c.unsubscribe = inv.onDidChange((change) => this.onInventory(c, inv, change));
    } catch (err) {
      c.error = (err as Error).message;
    } finally {
      c.opening = undefined;
    }
  }

  private stopContext(c: ContextEntry): void {
    c.unsubscribe?.();
    c.inventory?.dispose();
    c.unsubscribe = undefined;
    c.inventory = undefined;
    c.access = undefined;
    c.error = undefined;
    c.opening = undefined;
  }

  private onInventory(c: ContextEntry, inv: ClusterInventory, change: InventoryChange): void {
    if (c.inventory !== inv) return;
    const ctxId = model.ids.context(c.name);
    if (change.nodes === 'all') {
      this.coalescer.add(ctxId);
      return;
    }
    for (const name of change.nodes) {
      const id = name === model.UNSCHEDULED ? ctxId : model.ids.node(c.name, name);
      // A node that appeared or went away changes its parent's children.
      this.coalescer.add(this.elements.has(id) && inv.index.nodes.has(name) ? id : ctxId);
    }
    const ready = inv.index.nodeList().filter((n) => n.ready).length;
    if (ready !== c.readyCount) {
      c.readyCount = ready;
      this.coalescer.add(ctxId);
    }
  }

  private attach(session: Session | undefined): void {
    if (session === this.session) return;
    this.unsubscribeSession?.();
    this.unsubscribeSession = undefined;
    this.session = session;
    if (session) this.unsubscribeSession = session.events.subscribe((e) => this.onSessionEvent(session, e));
    this.coalescer.add(model.LOCAL_ID);
    // Pods of the session now show (or no longer show) FSM states.
    for (const c of this.contexts.values()) if (c.inventory) this.coalescer.add(model.ids.context(c.name));
  }

  private onSessionEvent(session: Session, e: SessionEvent): void {
    if (e.type !== 'node' && e.type !== 'process' && e.type !== 'error' && e.type !== 'transition') return;
    const app = 'path' in e && typeof e.path === 'string' ? session.tree.find(e.path) : undefined;
    if (session.config.backend === 'local') {
      this.coalescer.add(model.LOCAL_ID);
      if (app?.kind === 'app') this.coalescer.add(model.ids.localApp(app.name));
      return;
    }
    for (const c of this.contexts.values()) {
      const inv = c.inventory;
      if (!inv) continue;
      const pod = app?.kind === 'app' ? inv.index.findPod((p) => p.session === session.name && p.app === app.name) : undefined;
      if (pod) this.coalescer.add(model.ids.pod(c.name, pod.node ?? model.UNSCHEDULED, pod.key));
    }
  }

  private localSession(): Session | undefined {
    const s = this.sessions.session;
    return s && s.config.backend !== 'kubernetes' ? s : undefined;
  }

  /** The context the window's kubernetes session runs in: its configuration's, else the selected one. */
  sessionContext(): string | undefined {
    const s = this.sessions.session;
    if (!s || s.config.backend !== 'kubernetes') return undefined;
    return s.config.kubernetes?.context ?? this.selectedContext;
  }

  private fsmOf(context: string, p: PodSummary): AppFsmState | undefined {
    const s = this.sessions.session;
    // The same session name in another cluster is another session.
    if (!s || s.config.backend !== 'kubernetes' || context !== this.sessionContext() || p.session !== s.name || !p.app) return undefined;
    const app: AppNode | undefined = s.tree.app(p.app);
    if (!app) return undefined;
    return { state: app.state, inProgress: app.transition?.name, error: app.error?.message, fsm: { initial: s.fsm.initial, errorState: s.fsm.errorState } };
  }

  private message(parent: string, text: string, severity: 'info' | 'error', n = 0): ClusterElement {
    const id = model.ids.message(parent, n);
    const known = this.elements.get(id);
    if (known?.kind === 'message' && known.text === text && known.severity === severity) return known;
    const e: ClusterElement = { kind: 'message', id, parent, text, severity };
    this.elements.set(id, e);
    return e;
  }

  /** One object per id, so the view (and reveal) recognise an element across refreshes. */
  private element<E extends ClusterElement>(fresh: E): E {
    const known = this.elements.get(fresh.id);
    if (known) return known as E;
    this.elements.set(fresh.id, fresh);
    return fresh;
  }
}
