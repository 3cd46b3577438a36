import { parseQuantity } from './quantity';
import { matchesLabelSelectorObject } from './selectors';
import type { KubeObject } from './store';

/**
 * The default scheduler's filters and a simple scoring, as a pure function of the pod,
 * the nodes and the pods already bound. Filters run per node in the real scheduler's
 * plugin order and stop at the first failure; the reasons are counted into the message
 * the real scheduler writes on the PodScheduled condition and the FailedScheduling event.
 */

export type ScheduleResult = { node: string } | { message: string };

/** Reasons the real scheduler cannot resolve by preempting lower-priority pods. */
const UNRESOLVABLE = new Set(['node(s) were unschedulable', "node(s) didn't match Pod's node affinity/selector", "node(s) didn't match pod affinity rules"]);

function isTerminal(p: KubeObject): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/** Pod requests: the sum over containers, at least the largest init container's. */
export function podRequests(pod: KubeObject): Map<string, number> {
  const sum = new Map<string, number>();
  for (const c of pod.spec?.containers ?? []) {
    for (const [k, v] of Object.entries(c.resources?.requests ?? {})) sum.set(k, (sum.get(k) ?? 0) + (parseQuantity(v) ?? 0));
  }
  for (const c of pod.spec?.initContainers ?? []) {
    for (const [k, v] of Object.entries(c.resources?.requests ?? {})) sum.set(k, Math.max(sum.get(k) ?? 0, parseQuantity(v) ?? 0));
  }
  return sum;
}

function tolerates(tolerations: KubeObject[], taint: KubeObject): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function matchNodeExpression(e: KubeObject, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, e.key);
  const v = labels[e.key];
  const values: string[] = e.values ?? [];
  switch (e.operator) {
    case 'In':
      return has && values.includes(v);
    case 'NotIn':
      return !has || !values.includes(v);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const a = Number.parseInt(v, 10);
      const b = Number.parseInt(values[0], 10);
      if (!has || Number.isNaN(a) || Number.isNaN(b)) return false;
      return e.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

export function matchNodeSelectorTerm(term: KubeObject, node: KubeObject): boolean {
  const exprs: KubeObject[] = term?.matchExpressions ?? [];
  const fields: KubeObject[] = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return exprs.every((e) => matchNodeExpression(e, labels)) && fields.every((f) => matchNodeExpression(f, { 'metadata.name': node.metadata.name }));
}

function matchesNodeAffinity(pod: KubeObject, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return (required.nodeSelectorTerms ?? []).some((t: KubeObject) => matchNodeSelectorTerm(t, node));
  return true;
}

interface PodTerm {
  labelSelector?: KubeObject;
  namespaces?: string[];
  namespaceSelector?: KubeObject;
  topologyKey: string;
}

function termMatchesPod(term: PodTerm, ownerNamespace: string, other: KubeObject): boolean {
  const nsOk = term.namespaceSelector && Object.keys(term.namespaceSelector).length === 0 ? true : (term.namespaces?.length ? term.namespaces : [ownerNamespace]).includes(other.metadata.namespace);
  return nsOk && matchesLabelSelectorObject(term.labelSelector, other.metadata.labels);
}

function sameTopology(key: string, a: KubeObject | undefined, b: KubeObject | undefined): boolean {
  const va = a?.metadata.labels?.[key];
  return va !== undefined && va === b?.metadata.labels?.[key];
}

interface Ctx {
  pod: KubeObject;
  nodes: Map<string, KubeObject>;
  bound: KubeObject[];
  byNode: Map<string, KubeObject[]>;
}

function requiredTerms(pod: KubeObject, kind: 'podAffinity' | 'podAntiAffinity'): PodTerm[] {
  return pod.spec?.affinity?.[kind]?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
}

/** The reasons a node cannot take the pod (empty = fits). */
function filterNode(ctx: Ctx, node: KubeObject): string[] {
  const { pod } = ctx;
  const tolerations: KubeObject[] = pod.spec?.tolerations ?? [];
  // NodeUnschedulable
  if (node.spec?.unschedulable && !tolerates(tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return ['node(s) were unschedulable'];
  // NodeName
  if (pod.spec?.nodeName && pod.spec.nodeName !== node.metadata.name) return ["node(s) didn't match the requested node name"];
  // TaintToleration
  for (const taint of node.spec?.taints ?? []) {
    if ((taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(tolerations, taint)) return [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`];
  }
  // NodeAffinity
  if (!matchesNodeAffinity(pod, node)) return ["node(s) didn't match Pod's node affinity/selector"];
  // NodeResourcesFit
  const onNode = (ctx.byNode.get(node.metadata.name) ?? []).filter((p) => !isTerminal(p));
  const allocatable: Record<string, string> = node.status?.allocatable ?? {};
  const insufficient: string[] = [];
  const maxPods = parseQuantity(allocatable.pods ?? '110') ?? 110;
  if (onNode.length + 1 > maxPods) insufficient.push('Too many pods');
  const want = podRequests(pod);
  if (want.size) {
    const used = new Map<string, number>();
    for (const p of onNode) for (const [k, v] of podRequests(p)) used.set(k, (used.get(k) ?? 0) + v);
    for (const [k, v] of [...want].sort(([a], [b]) => a.localeCompare(b))) {
      if (v <= 0) continue;
      const cap = parseQuantity(allocatable[k] ?? '0') ?? 0;
      if ((used.get(k) ?? 0) + v > cap + 1e-9) insufficient.push(`Insufficient ${k}`);
    }
  }
  if (insufficient.length) return insufficient;
  // InterPodAffinity
  for (const term of requiredTerms(pod, 'podAffinity')) {
    const matching = ctx.bound.filter((p) => termMatchesPod(term, pod.metadata.namespace, p));
    // The first pod of a group that matches its own affinity term may go anywhere with the topology key.
    const selfMatch = matching.length === 0 && termMatchesPod(term, pod.metadata.namespace, pod) && node.metadata.labels?.[term.topologyKey] !== undefined;
    if (!selfMatch && !matching.some((p) => sameTopology(term.topologyKey, ctx.nodes.get(p.spec.nodeName), node))) return ["node(s) didn't match pod affinity rules"];
  }
  for (const term of requiredTerms(pod, 'podAntiAffinity')) {
    if (ctx.bound.some((p) => termMatchesPod(term, pod.metadata.namespace, p) && sameTopology(term.topologyKey, ctx.nodes.get(p.spec.nodeName), node)))
      return ["node(s) didn't match pod anti-affinity rules"];
  }
  for (const p of ctx.bound) {
    for (const term of requiredTerms(p, 'podAntiAffinity')) {
      if (termMatchesPod(term, p.metadata.namespace, pod) && sameTopology(term.topologyKey, ctx.nodes.get(p.spec.nodeName), node))
        return ["node(s) didn't satisfy existing pods anti-affinity rules"];
    }
  }
  return [];
}

function scoreNode(ctx: Ctx, node: KubeObject): number {
  const { pod } = ctx;
  let score = 0;
  for (const pref of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (matchNodeSelectorTerm(pref.preference, node)) score += (pref.weight ?? 0) * 100;
  }
  for (const [kind, sign] of [
    ['podAffinity', 1],
    ['podAntiAffinity', -1],
  ] as const) {
    for (const pref of pod.spec?.affinity?.[kind]?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      const term = pref.podAffinityTerm ?? {};
      const n = ctx.bound.filter((p) => termMatchesPod(term, pod.metadata.namespace, p) && sameTopology(term.topologyKey, ctx.nodes.get(p.spec.nodeName), node)).length;
      if (n > 0) score += sign * (pref.weight ?? 0) * 100;
    }
  }
  const tolerations: KubeObject[] = pod.spec?.tolerations ?? [];
  for (const taint of node.spec?.taints ?? []) if (taint.effect === 'PreferNoSchedule' && !tolerates(tolerations, taint)) score -= 1000;
  // LeastAllocated, then fewer pods: spreads work like the real scheduler's default scoring.
  const onNode = (ctx.byNode.get(node.metadata.name) ?? []).filter((p) => !isTerminal(p));
  const want = podRequests(pod);
  for (const r of ['cpu', 'memory']) {
    const cap = parseQuantity(node.status?.allocatable?.[r] ?? '0') ?? 0;
    if (cap <= 0) continue;
    let used = want.get(r) ?? 0;
    for (const p of onNode) used += podRequests(p).get(r) ?? 0;
    score += (50 * (cap - used)) / cap;
  }
  return score - onNode.length * 0.01;
}

export function schedule(pod: KubeObject, nodes: KubeObject[], pods: KubeObject[]): ScheduleResult {
  if (nodes.length === 0) return { message: 'no nodes available to schedule pods' };
  const nodeMap = new Map(nodes.map((n) => [n.metadata.name, n]));
  const bound = pods.filter((p) => p.spec?.nodeName && !isTerminal(p) && p.metadata.uid !== pod.metadata.uid);
  const byNode = new Map<string, KubeObject[]>();
  for (const p of bound) {
    const list = byNode.get(p.spec.nodeName) ?? [];
    list.push(p);
    byNode.set(p.spec.nodeName, list);
  }
  const ctx: Ctx = { pod, nodes: nodeMap, bound, byNode };
  const histogram = new Map<string, number>();
  let resolvable = 0;
  let best: { node: string; score: number } | undefined;
  for (const node of [...nodes].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const reasons = filterNode(ctx, node);
    if (reasons.length === 0) {
      const score = scoreNode(ctx, node);
      if (!best || score > best.score) best = { node: node.metadata.name, score };
      continue;
    }
    for (const r of reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
    if (!reasons.some((r) => UNRESOLVABLE.has(r) || r.startsWith('node(s) had untolerated taint'))) resolvable++;
  }
  if (best) return { node: best.node };
  const reasons = [...histogram].map(([r, n]) => `${n} ${r}`).sort();
  const preemption = [];
  if (resolvable) preemption.push(`${resolvable} No preemption victims found for incoming pod`);
  if (nodes.length - resolvable) preemption.push(`${nodes.length - resolvable} Preemption is not helpful for scheduling`);
  return {
    message: `0/${nodes.length} nodes are available: ${reasons.join(', ')}. preemption: 0/${nodes.length} nodes are available: ${preemption.sort().join(', ')}.`,
  };
}
