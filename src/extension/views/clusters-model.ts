// What the Clusters view shows, as pure data: the elements (a discriminated union, like
// vscode-kubernetes-tools' tree nodes) and how each looks. No 'vscode' import, so the whole
// mapping is unit-tested in plain Node and benchmarked at cluster scale; clusters-tree.ts
// only wraps the results in vscode.TreeItem.
import type { ClusterIndex, NodeSummary, PodSummary } from '../../core/backends/kubernetes/cluster-inventory';
import { md, stateLook, type ItemPresentation } from './tree-presentation';

export type ClusterElement =
  /** This machine: a cluster of one node whose children are the local session's applications. */
  | { readonly kind: 'local'; readonly id: string }
  | { readonly kind: 'localApp'; readonly id: string; readonly app: string }
  | { readonly kind: 'context'; readonly id: string; readonly context: string }
  | { readonly kind: 'node'; readonly id: string; readonly context: string; readonly node: string }
  /** Pods of Baton sessions no node has taken yet (Pending, with the scheduler's reason). */
  | { readonly kind: 'unscheduled'; readonly id: string; readonly context: string }
  | { readonly kind: 'pod'; readonly id: string; readonly context: string; readonly node: string; readonly pod: string }
  /** A plain sentence in place of children: loading, unreachable, Forbidden, empty. */
  | { readonly kind: 'message'; readonly id: string; readonly parent: string; readonly text: string; readonly severity: 'info' | 'error' };

export const LOCAL_ID = 'local';
export const UNSCHEDULED = '';

export const ids = {
  local: () => LOCAL_ID,
  localApp: (app: string) => `local/${app}`,
  context: (context: string) => `ctx/${context}`,
  node: (context: string, node: string) => `ctx/${context}/node/${node}`,
  unscheduled: (context: string) => `ctx/${context}/unscheduled`,
  pod: (context: string, node: string, pod: string) => `ctx/${context}/node/${node}/pod/${pod}`,
  message: (parent: string, n = 0) => `${parent}/message/${n}`,
};

/** The FSM state of the application a pod runs, when the window's session owns it. */
export interface AppFsmState {
  state: string;
  inProgress?: string;
  error?: string;
  fsm: { initial: string; errorState: string };
}

export interface ContextView {
  name: string;
  server?: string;
  /** The context cluster checks and new sessions use. */
  selected: boolean;
  /** Not yet asked (collapsed), listing, listed, or failing with a reason. */
  state: 'idle' | 'loading' | 'ready' | 'error';
  error?: string;
  nodeCount?: number;
  readyCount?: number;
  podCount?: number;
  /** The user collapsed it: it stays so (the selected context starts expanded). */
  collapsedByUser?: boolean;
}

export function presentContext(v: ContextView): ItemPresentation {
  const parts: string[] = [];
  if (v.selected) parts.push('selected');
  if (v.state === 'ready' && v.nodeCount !== undefined) parts.push(`${v.readyCount ?? v.nodeCount}/${v.nodeCount} nodes ready`);
  if (v.state === 'ready' && v.podCount) parts.push(`${v.podCount} pod${v.podCount === 1 ? '' : 's'}`);
  if (v.state === 'error') parts.push('unreachable');
  const tokens = ['baton.context', v.selected ? 'selected' : 'can-select', v.state === 'error' ? 'in-error' : v.state];
  const lines = [`**${md(v.name)}**${v.selected ? ' (selected)' : ''}`];
  if (v.server) lines.push(`server: \`${code(v.server)}\``);
  if (v.state === 'error' && v.error) lines.push(`$(error) ${md(v.error)}`);
  return {
    id: ids.context(v.name),
    label: v.name,
    description: parts.join(' · '),
    icon: 'cloud',
    color: v.state === 'error' ? 'errorForeground' : v.selected ? 'charts.blue' : undefined,
    contextValue: tokens.join(';'),
    tooltip: lines.join('\n\n'),
    collapsible: v.selected && !v.collapsedByUser ? 'expanded' : 'collapsed',
  };
}

/** CPU and memory in the units people read (`8 CPU`, `31.4 GiB`). */
export function formatAllocatable(n: Pick<NodeSummary, 'cpu' | 'memory' | 'extended'>): string[] {
  const out: string[] = [];
  if (n.cpu !== undefined) out.push(`${formatCpu(n.cpu)} CPU`);
  if (n.memory !== undefined) out.push(formatMemory(n.memory));
  for (const [k, v] of Object.entries(n.extended).sort(([a], [b]) => (a < b ? -1 : 1))) out.push(`${k}: ${v}`);
  return out;
}

function formatCpu(q: string): string {
  return q.endsWith('m') ? String(Number(q.slice(0, -1)) / 1000) : q;
}

const BIN: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12, '': 1 };

function formatMemory(q: string): string {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return q;
  const bytes = Number(m[1]) * BIN[m[2] ?? ''];
  const gib = bytes / 2 ** 30;
  return gib >= 1 ? `${Number(gib.toFixed(1))} GiB` : `${Number((bytes / 2 ** 20).toFixed(0))} MiB`;
}

export function presentNode(context: string, n: NodeSummary, podCount: number): ItemPresentation {
  const readiness = n.ready ? 'Ready' : 'NotReady';
  const parts = [n.unschedulable ? `${readiness},SchedulingDisabled` : readiness];
  if (n.roles.length) parts.push(n.roles.join(','));
  parts.push(...formatAllocatable(n));
  if (podCount) parts.push(`${podCount} pod${podCount === 1 ? '' : 's'}`);
  const tokens = ['baton.node', n.ready ? 'ready' : 'not-ready', n.unschedulable ? 'cordoned' : 'schedulable'];
  if (Object.keys(n.labels).length) tokens.push('has-labels');
  const lines = [`**${md(n.name)}** — ${readiness}${n.unschedulable ? ', cordoned (SchedulingDisabled)' : ''}`];
  if (!n.ready && n.notReadyReason) lines.push(`$(warning) ${md(n.notReadyReason)}`);
  if (n.pressure.length) lines.push(`$(warning) ${n.pressure.map(md).join(', ')}`);
  if (n.roles.length) lines.push(`roles: ${n.roles.map(md).join(', ')}`);
  if (n.address) lines.push(`address: \`${code(n.address)}\``);
  const alloc = formatAllocatable(n);
  if (alloc.length) lines.push(`allocatable: ${alloc.map(md).join(', ')}`);
  if (n.taints.length) lines.push(`taints:\n\n${n.taints.map((t) => `- \`${code(`${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`)}\``).join('\n')}`);
  const labels = Object.entries(n.labels).sort(([a], [b]) => (a < b ? -1 : 1));
  if (labels.length) lines.push(`labels:\n\n${labels.map(([k, v]) => `- \`${code(k)}=${code(v)}\``).join('\n')}`);
  if (n.kubeletVersion) lines.push(`kubelet ${md(n.kubeletVersion)}`);
  return {
    id: ids.node(context, n.name),
    label: n.name,
    description: parts.join(' · '),
    icon: 'server',
    color: !n.ready ? 'errorForeground' : n.unschedulable ? 'list.warningForeground' : 'charts.green',
    contextValue: tokens.join(';'),
    tooltip: lines.join('\n\n'),
    collapsible: podCount ? 'collapsed' : 'none',
  };
}

export function presentUnscheduled(context: string, count: number): ItemPresentation {
  return {
    id: ids.unscheduled(context),
    label: 'Not scheduled',
    description: `${count} pod${count === 1 ? '' : 's'}`,
    icon: 'circle-slash',
    color: 'list.warningForeground',
    contextValue: 'baton.unscheduled',
    tooltip: 'Pods of Baton sessions that no node has taken yet; each shows the scheduler\'s reason.',
    collapsible: 'expanded',
  };
}

/** Looks of kubectl's status words. */
function podLook(status: string): { icon: string; color?: string } {
  if (status === 'Running') return { icon: 'vm-running', color: 'charts.green' };
  if (status === 'Pending' || status === 'ContainerCreating' || status === 'PodInitializing' || status.startsWith('Init:')) return { icon: 'loading~spin', color: 'charts.yellow' };
  if (status === 'Terminating') return { icon: 'loading~spin', color: 'disabledForeground' };
  if (status === 'Completed' || status === 'Succeeded') return { icon: 'pass', color: 'disabledForeground' };
  return { icon: 'error', color: 'errorForeground' };
}

export function presentPod(context: string, node: string, p: PodSummary, app?: AppFsmState): ItemPresentation {
  const parts = [p.status];
  let look = podLook(p.status);
  if (app) {
    parts.push(app.inProgress ? `${app.inProgress}…` : app.state);
    // The FSM's word wins while the pod runs; a pod in trouble keeps its own look.
    if (p.status === 'Running') look = app.inProgress ? { icon: 'loading~spin', color: 'charts.yellow' } : stateLook(app.state, app.fsm);
  }
  if (p.session) parts.push(p.session);
  if (p.problem && p.status !== 'Running') parts.push(oneLine(p.problem, 80));
  const tokens = ['baton.pod', 'has-log'];
  if (app) tokens.push('in-session');
  const lines = [`**${md(p.app ?? p.name)}** — pod \`${code(p.namespace)}/${code(p.name)}\``, `status: \`${code(p.status)}\``];
  if (app) lines.push(`FSM state: \`${code(app.inProgress ? `${app.inProgress} in progress` : app.state)}\``);
  if (p.session) lines.push(`session: ${md(p.session)}`);
  lines.push(p.node ? `node: ${md(p.node)}` : 'not scheduled yet');
  if (p.ip) lines.push(`pod IP: \`${code(p.ip)}\``);
  if (p.problem) lines.push(`$(warning) ${md(p.problem)}`);
  if (app?.error) lines.push(`$(error) ${md(app.error)}`);
  return {
    id: ids.pod(context, node, p.key),
    label: p.app ?? p.name,
    description: parts.join(' · '),
    icon: look.icon,
    color: look.color,
    contextValue: tokens.join(';'),
    tooltip: lines.join('\n\n'),
    collapsible: 'none',
  };
}

export function presentLocal(hostname: string, session: { name: string; appCount: number } | undefined): ItemPresentation {
  const description = session ? `this machine · ${session.name} · ${session.appCount} app${session.appCount === 1 ? '' : 's'}` : 'this machine · no local session';
  return {
    id: LOCAL_ID,
    label: hostname,
    description,
    icon: 'device-desktop',
    contextValue: 'baton.local',
    tooltip: `**${md(hostname)}** — this machine, where the local backend runs applications as processes.${session ? '' : '\n\nBoot a run configuration with `backend: local` to see its applications here.'}`,
    collapsible: 'expanded',
  };
}

export function presentMessage(id: string, text: string, severity: 'info' | 'error'): ItemPresentation {
  return {
    id,
    label: text,
    description: '',
    icon: severity === 'error' ? 'error' : 'info',
    color: severity === 'error' ? 'errorForeground' : undefined,
    contextValue: `baton.message;${severity}`,
    tooltip: md(text),
    collapsible: 'none',
  };
}

/**
 * Every node of a cluster with its pods, presented: what the view computes when the whole
 * cluster is expanded. Pods come from the index by node, so the cost grows with what is
 * shown, never with nodes x pods. Exported for bench/kubernetes.ts.
 */
export function listClusterTree(index: ClusterIndex, context = 'bench', fsmOf: (p: PodSummary) => AppFsmState | undefined = () => undefined): { nodes: ItemPresentation[]; pods: ItemPresentation[] } {
  const nodes: ItemPresentation[] = [];
  const pods: ItemPresentation[] = [];
  for (const n of index.nodeList()) {
    nodes.push(presentNode(context, n, index.podCount(n.name)));
    for (const p of index.podsOn(n.name)) pods.push(presentPod(context, n.name, p, fsmOf(p)));
  }
  for (const p of index.podsOn(UNSCHEDULED)) pods.push(presentPod(context, UNSCHEDULED, p, fsmOf(p)));
  return { nodes, pods };
}

/** `nodeSelector: {key: "value"}`, quoted so YAML reads the value as a string ("true" stays text). */
export function nodeSelectorSnippet(key: string, value: string): string {
  return `nodeSelector: {${yamlKey(key)}: ${JSON.stringify(value)}}`;
}

function yamlKey(key: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(key) ? key : JSON.stringify(key);
}

function code(s: string): string {
  return s.replace(/`/g, "'");
}

function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
