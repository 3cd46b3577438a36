// Placement checked against the nodes of the selected cluster: what only the live cluster
// knows (labels, allocatable extended resources, taints, cordons) becomes a warning at the
// field to change. Pure: the nodes come from a cached snapshot, never from a request.
import type { BatonDiagnostic, Severity } from '../diagnostic';
import { fieldOf, type PathSegment, type YamlIndex } from '../yaml-positions';
import type { ClusterNodeFacts, ClusterSnapshot } from './cluster-info';

/**
 * Codes of the cluster checks, with their severity. Warnings, not errors: the cluster may
 * change before boot (a node relabelled, a card plugged in). Rename none, only add.
 */
export const CLUSTER_DIAGNOSTIC_CODES = {
  'node-selector-no-match': 'warning',
  'node-affinity-no-match': 'warning',
  'extended-resource-unavailable': 'warning',
  'placement-no-schedulable-node': 'warning',
  'anti-affinity-too-few-nodes': 'warning',
  /** Why the checks above could not run: an unknown context, an unreachable cluster, Forbidden. */
  'cluster-unavailable': 'info',
} as const satisfies Record<string, Severity>;

export type ClusterDiagnosticCode = keyof typeof CLUSTER_DIAGNOSTIC_CODES;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const HOSTNAME = 'kubernetes.io/hostname';
/** Names shown in a message before "and N more". */
const SHOWN = 4;

/** Resources every node has; anything else in requests/limits is an extended resource. */
export function isExtendedResource(name: string): boolean {
  return !(name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name === 'storage' || name.startsWith('hugepages-'));
}

const SUFFIX: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity as a number (`500m` = 0.5, `4Gi`), or undefined when it is not one. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^\+?(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?)$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1] + (m[2] ?? ''));
  return n * SUFFIX[m[3] ?? ''];
}

/** One node-affinity expression, evaluated as the scheduler does. */
export function matchesExpression(labels: Readonly<Record<string, string>>, rule: { key: string; operator: string; values?: readonly string[] }): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, rule.key);
  const value = has ? labels[rule.key] : undefined;
  const values = rule.values ?? [];
  switch (rule.operator) {
    case 'In':
      return has && values.includes(value!);
    case 'NotIn':
      return !has || !values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const a = Number.parseInt(value ?? '', 10);
      const b = Number.parseInt(values[0] ?? '', 10);
      if (!has || Number.isNaN(a) || Number.isNaN(b)) return false;
      return rule.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

/** Whether a taint that keeps new pods away (NoSchedule, NoExecute) is tolerated. */
export function tolerates(tolerations: readonly Toleration[], taint: { key: string; value?: string; effect: string }): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** Why a node takes no new pod of an app with these tolerations; undefined when it does. */
export function whyNotSchedulable(node: ClusterNodeFacts, tolerations: readonly Toleration[]): string | undefined {
  if (!node.ready) return `${node.name} is NotReady`;
  if (node.unschedulable) return `${node.name} is cordoned`;
  const taint = node.taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tolerations, t));
  if (taint) return `${node.name} has the taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}, not tolerated`;
  return undefined;
}

interface App {
  name: string;
  path: PathSegment[];
  raw: Obj;
  placement: Obj;
  /** Nodes the app may run on now (every filter applied); undefined when a filter already failed and was reported. */
  eligible?: ClusterNodeFacts[];
}

export interface ClusterCheckOptions {
  /** Fields under which the schema found errors; placement there is not checked. */
  schemaErrorFields?: readonly string[];
}

/** Warnings for the placement of every application against the nodes of `snapshot`. */
export function clusterDiagnostics(data: unknown, index: YamlIndex, snapshot: ClusterSnapshot, opts: ClusterCheckOptions = {}): BatonDiagnostic[] {
  if (!isObj(data) || !isObj(data.spec)) return [];
  const out: BatonDiagnostic[] = [];
  const add = (code: ClusterDiagnosticCode, message: string, path: PathSegment[], part: 'key' | 'value', extra?: unknown) => {
    const loc = index.locate(path);
    out.push({ code, severity: CLUSTER_DIAGNOSTIC_CODES[code], message, range: loc[part], field: fieldOf(path), ...(extra === undefined ? {} : { data: extra }) });
  };
  const broken = opts.schemaErrorFields ?? [];
  const schemaFailedUnder = (field: string) => broken.some((f) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`));
  const where = `cluster "${snapshot.context}"`;
  const nodes = snapshot.nodes;

  // Applications mostly share a few placements: each distinct filter runs over the nodes once.
  const memo = new Map<string, readonly ClusterNodeFacts[]>();
  const filtered = (key: string, from: readonly ClusterNodeFacts[], keep: (n: ClusterNodeFacts) => boolean): readonly ClusterNodeFacts[] => {
    let hit = memo.get(key);
    if (!hit) memo.set(key, (hit = from.filter(keep)));
    return hit;
  };

  const apps: App[] = [];
  collectApps(data.spec, ['spec'], apps, 0);
  for (const app of apps) {
    if (schemaFailedUnder(fieldOf(app.path))) continue;
    app.eligible = checkApp(app);
  }
  antiAffinity(apps);
  return out;

  function checkApp(app: App): ClusterNodeFacts[] | undefined {
    const base = [...app.path, 'placement'];
    let candidates: readonly ClusterNodeFacts[] = nodes;
    /** Names the filters applied so far: the memo key of `candidates`. */
    let key = '';

    const selector = isObj(app.placement.nodeSelector) ? app.placement.nodeSelector : {};
    const pairs = Object.entries(selector).filter((e): e is [string, string] => typeof e[1] === 'string');
    if (pairs.length) {
      key += `s${JSON.stringify(pairs)}`;
      const matching = filtered(key, candidates, (n) => pairs.every(([k, v]) => n.labels[k] === v));
      if (matching.length === 0) {
        const lonely = pairs.find(([k, v]) => !nodes.some((n) => n.labels[k] === v));
        if (lonely) {
          const [k, v] = lonely;
          const seen = [...new Set(nodes.map((n) => n.labels[k]).filter((x): x is string => x !== undefined))].sort();
          const hint = seen.length ? `; values of ${k} there: ${names(seen)}` : `; no node there has the label ${k}`;
          add('node-selector-no-match', `no node of ${where} has the label ${k}=${v}, so ${app.name} cannot be scheduled${hint}`, [...base, 'nodeSelector', k], 'value', { label: k, value: v, seen });
        } else {
          add('node-selector-no-match', `no node of ${where} has all of ${pairs.map(([k, v]) => `${k}=${v}`).join(', ')} together, so ${app.name} cannot be scheduled`, [...base, 'nodeSelector'], 'key', { labels: selector });
        }
        return undefined;
      }
      candidates = matching;
    }

    const rules = list(app.placement.nodeAffinity)
      .map((r, i) => ({ r, i }))
      .filter((x): x is { r: Obj & { key: string; operator: string }; i: number } => isObj(x.r) && x.r.strict !== false && typeof x.r.key === 'string' && typeof x.r.operator === 'string');
    if (rules.length) {
      const expr = (r: Obj & { key: string; operator: string }) => ({ key: r.key, operator: r.operator, values: list(r.values).filter((v): v is string => typeof v === 'string') });
      key += `a${JSON.stringify(rules.map(({ r }) => expr(r)))}`;
      const matching = filtered(key, candidates, (n) => rules.every(({ r }) => matchesExpression(n.labels, expr(r))));
      if (matching.length === 0) {
        const lonely = rules.find(({ r }) => !nodes.some((n) => matchesExpression(n.labels, expr(r))));
        const describe = (r: Obj & { key: string; operator: string }) => `${r.key} ${r.operator}${list(r.values).length ? ` ${list(r.values).join(', ')}` : ''}`;
        if (lonely) {
          add('node-affinity-no-match', `no node of ${where} satisfies the strict rule "${describe(lonely.r)}", so ${app.name} cannot be scheduled`, [...base, 'nodeAffinity', lonely.i], 'key', { rule: lonely.i });
        } else {
          const also = pairs.length ? ' together with the nodeSelector' : '';
          add('node-affinity-no-match', `no node of ${where} satisfies all strict nodeAffinity rules of ${app.name}${also}`, [...base, 'nodeAffinity'], 'key');
        }
        return undefined;
      }
      candidates = matching;
    }

    const resources = isObj(app.raw.resources) ? app.raw.resources : {};
    const wanted = new Map<string, { amount: number; path: PathSegment[] }>();
    for (const kind of ['requests', 'limits'] as const) {
      const rl = isObj(resources[kind]) ? resources[kind] : {};
      for (const [name, q] of Object.entries(rl)) {
        const amount = parseQuantity(q);
        if (!isExtendedResource(name) || amount === undefined || amount <= 0) continue;
        // Kubernetes requires request = limit for extended resources; the larger one is what must fit.
        const prior = wanted.get(name);
        if (!prior || amount > prior.amount) wanted.set(name, { amount, path: [...app.path, 'resources', kind, name] });
      }
    }
    for (const [name, { amount, path }] of wanted) {
      const offering = filtered(`r${name}`, nodes, (n) => (parseQuantity(n.allocatable[name]) ?? 0) > 0);
      const enough = filtered(`r${name}>=${amount}`, offering, (n) => (parseQuantity(n.allocatable[name]) ?? 0) >= amount);
      if (offering.length === 0) {
        add('extended-resource-unavailable', `no node of ${where} has ${name} allocatable, so ${app.name} cannot be scheduled`, path, 'key', { resource: name });
        return undefined;
      }
      if (enough.length === 0) {
        const most = Math.max(...offering.map((n) => parseQuantity(n.allocatable[name]) ?? 0));
        add('extended-resource-unavailable', `${app.name} asks for ${amount} ${name}, but no node of ${where} has more than ${most} allocatable`, path, 'value', { resource: name, most });
        return undefined;
      }
      const enoughSet = new Set(enough);
      key += `r${name}>=${amount}`;
      const here = filtered(key, candidates, (n) => enoughSet.has(n));
      if (here.length === 0) {
        add('extended-resource-unavailable', `${name} is allocatable on ${names(enough.map((n) => n.name))} in ${where}, but not on the nodes the placement of ${app.name} selects (${names(candidates.map((n) => n.name))})`, path, 'key', { resource: name });
        return undefined;
      }
      candidates = here;
    }

    const tolerations = list(app.placement.tolerations).filter(isObj) as Toleration[];
    const open = filtered(`${key}t${JSON.stringify(tolerations)}`, candidates, (n) => whyNotSchedulable(n, tolerations) === undefined);
    if (open.length === 0 && candidates.length > 0) {
      const reasons = candidates.slice(0, SHOWN).map((n) => whyNotSchedulable(n, tolerations)!);
      const more = candidates.length > SHOWN ? ` (and ${candidates.length - SHOWN} more)` : '';
      const scope = candidates.length === nodes.length ? `no node of ${where} takes new pods` : `the ${candidates.length === 1 ? 'node' : `${candidates.length} nodes`} matching the placement of ${app.name} take no new pods`;
      const at = app.raw.placement !== undefined ? base : [...app.path, 'name'];
      add('placement-no-schedulable-node', `${scope}: ${reasons.join('; ')}${more}`, at, app.raw.placement !== undefined ? 'key' : 'value', { nodes: candidates.map((n) => n.name) });
      return undefined;
    }
    return [...open];
  }

  /**
   * Strict anti-affinity (per node) between the members of a group needs a distinct eligible
   * node for each member: a matching problem, solved exactly per group. Groups are greedy
   * cliques, as in the static check, so a report is always right.
   */
  function antiAffinity(all: App[]): void {
    const byName = new Map(all.map((a) => [a.name, a]));
    const edges = new Map<string, Set<string>>();
    const link = (a: string, b: string) => {
      if (a === b || !byName.has(a) || !byName.has(b)) return;
      for (const [x, y] of [[a, b], [b, a]]) {
        let s = edges.get(x);
        if (!s) edges.set(x, (s = new Set()));
        s.add(y);
      }
    };
    for (const app of all) {
      for (const rule of list(app.placement.antiAffinity)) {
        if (!isObj(rule) || rule.strict === false) continue;
        if (rule.topologyKey !== undefined && rule.topologyKey !== HOSTNAME) continue;
        for (const other of list(rule.apps)) if (typeof other === 'string') link(app.name, other);
      }
    }
    const schedulable = nodes.filter((n) => n.ready && !n.unschedulable).length;
    const done = new Set<string>();
    for (const [start, neighbours] of edges) {
      const clique = [start];
      const ordered = [...neighbours].sort((a, b) => edges.get(b)!.size - edges.get(a)!.size || (a < b ? -1 : 1));
      for (const n of ordered) if (clique.every((c) => edges.get(c)!.has(n))) clique.push(n);
      if (clique.length < 2) continue;
      const key = [...clique].sort().join('\n');
      if (done.has(key)) continue;
      done.add(key);
      const members = clique.map((n) => byName.get(n)!);
      // Members whose placement already failed were reported; beyond the node count, the static check reports.
      if (members.some((m) => !m.eligible) || clique.length > schedulable) continue;
      const matched = maxMatching(members.map((m) => m.eligible!.map((n) => n.name)));
      if (matched >= members.length) continue;
      const union = [...new Set(members.flatMap((m) => m.eligible!.map((n) => n.name)))].sort();
      const anchor = members.find((m) => m.placement.antiAffinity !== undefined) ?? members[0];
      const sorted = [...clique].sort();
      add(
        'anti-affinity-too-few-nodes',
        `strict anti-affinity keeps ${clique.length} applications (${sorted.join(', ')}) on different nodes, but their placement in ${where} allows only ${matched} of them at once (nodes: ${names(union)})`,
        [...anchor.path, 'placement', 'antiAffinity'],
        'key',
        { apps: sorted, nodes: union, placeable: matched },
      );
    }
  }
}

function collectApps(holder: Obj, path: PathSegment[], out: App[], depth: number): void {
  if (depth > 200) return;
  list(holder.segments).forEach((s, i) => {
    if (isObj(s)) collectApps(s, [...path, 'segments', i], out, depth + 1);
  });
  list(holder.apps).forEach((a, i) => {
    if (isObj(a) && typeof a.name === 'string') out.push({ name: a.name, path: [...path, 'apps', i], raw: a, placement: isObj(a.placement) ? a.placement : {} });
  });
}

/** Size of a maximum matching of members to distinct nodes (augmenting paths; groups are small). */
export function maxMatching(choices: readonly (readonly string[])[]): number {
  const owner = new Map<string, number>();
  const assign = (i: number, seen: Set<string>): boolean => {
    for (const node of choices[i]) {
      if (seen.has(node)) continue;
      seen.add(node);
      const o = owner.get(node);
      if (o === undefined || assign(o, seen)) {
        owner.set(node, i);
        return true;
      }
    }
    return false;
  };
  let n = 0;
  for (let i = 0; i < choices.length; i++) if (assign(i, new Set())) n++;
  return n;
}

function names(xs: readonly string[]): string {
  return xs.length <= SHOWN ? xs.join(', ') : `${xs.slice(0, SHOWN).join(', ')} and ${xs.length - SHOWN} more`;
}

/** Says why the cluster checks are off for a configuration, at its context (or its backend). */
export function clusterUnavailable(data: unknown, index: YamlIndex, problem: string): BatonDiagnostic {
  const spec = isObj(data) && isObj(data.spec) ? data.spec : {};
  const path: PathSegment[] = isObj(spec.kubernetes) && typeof spec.kubernetes.context === 'string' ? ['spec', 'kubernetes', 'context'] : ['spec', 'backend'];
  const loc = index.locate(path);
  return { code: 'cluster-unavailable', severity: CLUSTER_DIAGNOSTIC_CODES['cluster-unavailable'], message: `placement is not checked against the cluster: ${problem}`, range: loc.value, field: fieldOf(path), data: { problem } };
}
