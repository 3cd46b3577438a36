import * as posix from 'node:path/posix';
import { expandPlaceholders, placeholdersIn } from '../backends/placeholders';
import { DEFAULT_FSM } from '../fsm/default-fsm';
import { FsmDefinitionError } from '../fsm/errors';
import { Fsm } from '../fsm/fsm';
import type { FsmDefinition } from '../fsm/types';
import { DIAGNOSTIC_CODES, type BatonDiagnostic, type DiagnosticCode, type Severity } from './diagnostic';
import { parseDuration, formatDuration } from './duration';
import { closest } from './suggestions';
import { fieldOf, type PathSegment, type YamlIndex } from './yaml-positions';

export interface SemanticOptions {
  env?: NodeJS.ProcessEnv;
  nodeCount?: number;
  /** Fields under which the schema already found errors; checks there would only repeat them. */
  schemaErrorFields: string[];
}


/** Linux's default ip_local_port_range. */
const AUTO_PORT_RANGE: [number, number] = [32768, 60999];
/** Timeouts below this cannot cover even one command round trip on a loaded machine. */
const MIN_TIMEOUT_MS = 100;
/** Above this a stuck transition goes unnoticed for too long; allowed, but flagged. */
const MAX_TIMEOUT_MS = 3_600_000;
const PLACEHOLDERS = ['name', 'host', 'port', 'session'];
const FORBIDDEN_HOST_PATHS = ['/', '/boot', '/etc', '/lib', '/proc', '/sys', '/usr', '/tmp'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Transitions whose order defaults from another's; not named by the FSM itself. */
const ORDER_ONLY = ['default'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

interface Node {
  kind: 'app' | 'segment';
  name: string;
  path: PathSegment[];
  raw: Obj;
  /** The host as written (app, else enclosing segment, else spec), before spec.hosts. */
  host: string;
}

export function semanticDiagnostics(data: unknown, index: YamlIndex, opts: SemanticOptions): BatonDiagnostic[] {
  return new Checker(index, opts).run(data);
}

class Checker {
  private readonly out: BatonDiagnostic[] = [];
  private readonly nodes: Node[] = [];
  private execs: Obj = {};
  private hosts: Obj | undefined;
  private transitions = new Set<string>();
  private appNames = new Set<string>();
  private session = 'the top level';

  constructor(
    private readonly index: YamlIndex,
    private readonly opts: SemanticOptions,
  ) {}

  run(data: unknown): BatonDiagnostic[] {
    if (!isObj(data)) return this.out;
    const meta = isObj(data.metadata) ? data.metadata : {};
    if (typeof meta.name === 'string') this.k8sName(meta.name, ['metadata', 'name'], 'the session name');
    this.session = typeof meta.name === 'string' ? meta.name : 'the top level';
    const spec = data.spec;
    if (!isObj(spec)) return this.out;
    this.execs = isObj(spec.execs) ? spec.execs : {};
    this.hosts = isObj(spec.hosts) ? spec.hosts : undefined;

    this.fsm(spec);
    this.collect(spec, ['spec'], typeof spec.host === 'string' ? spec.host : '127.0.0.1', 0);
    this.names();
    this.appNames = new Set(this.nodes.filter((n) => n.kind === 'app').map((n) => n.name));
    this.segments(spec);
    for (const [name, exec] of Object.entries(this.execs)) this.exec(exec, ['spec', 'execs', name]);
    for (const node of this.nodes) if (node.kind === 'app') this.app(node);
    this.timeouts(spec.timeouts, ['spec', 'timeouts']);
    if (spec.terminateGrace !== undefined) this.duration(spec.terminateGrace, ['spec', 'terminateGrace'], 'terminateGrace');
    this.ports();
    this.antiAffinity();
    if (typeof spec.host === 'string') this.hostRef(spec.host, ['spec', 'host']);
    return this.out;
  }

  private add(code: DiagnosticCode, message: string, path: PathSegment[], part: 'key' | 'value', data?: unknown, severity?: Severity): void {
    const loc = this.index.locate(path);
    this.out.push({ code, severity: severity ?? DIAGNOSTIC_CODES[code], message, range: loc[part], field: fieldOf(path), ...(data === undefined ? {} : { data }) });
  }

  private schemaFailedUnder(field: string): boolean {
    return this.opts.schemaErrorFields.some((f) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`));
  }

  // ---- FSM ------------------------------------------------------------------------------

  private fsm(spec: Obj): void {
    let def: FsmDefinition | undefined = DEFAULT_FSM;
    if (spec.fsm !== undefined) {
      // Transition names are only checked against a custom FSM that is itself sound.
      def = undefined;
      if (!this.schemaFailedUnder('spec.fsm')) {
        try {
          const custom = Fsm.fromData(spec.fsm, 'spec.fsm');
          Fsm.compile(custom);
          def = custom;
        } catch (err) {
          const problems = err instanceof FsmDefinitionError ? err.problems : [(err as Error).message];
          for (const p of problems) this.fsmProblem(p, spec.fsm);
        }
      }
    }
    if (!def) return;
    for (const t of def.transitions) this.transitions.add(t.name);
    for (const s of def.sequences ?? []) this.transitions.add(s.name);
  }

  /** FSM problems name their place in prose; find the closest YAML node so the range helps. */
  private fsmProblem(problem: string, fsm: unknown): void {
    const base: PathSegment[] = ['spec', 'fsm'];
    let path = base;
    let message = problem;
    const prefixed = /^spec\.fsm((?:\.[^.:[\s]+|\[\d+\])*): (.*)$/s.exec(problem);
    if (prefixed) {
      message = prefixed[2];
      path = [...base, ...[...prefixed[1].matchAll(/\.([^.[]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]))];
    } else {
      const named = /^(transition|sequence|state) "([^"]+)"/.exec(problem);
      if (named && isObj(fsm)) {
        const [, what, name] = named;
        const group = what === 'state' ? 'states' : `${what}s`;
        const holder = fsm[group];
        if (isObj(holder) && name in holder) path = [...base, group, name];
        else if (Array.isArray(holder)) {
          const i = holder.findIndex((e) => e === name || (isObj(e) && e.name === name));
          path = i >= 0 ? [...base, group, i] : [...base, group];
        }
      }
    }
    this.add('fsm-invalid', `custom FSM: ${message}`, path, 'key');
  }

  // ---- tree -----------------------------------------------------------------------------

  private collect(holder: Obj, path: PathSegment[], host: string, depth: number): void {
    if (depth > 200) return;
    list(holder.segments).forEach((s, i) => {
      if (!isObj(s)) return;
      const p = [...path, 'segments', i];
      const h = typeof s.host === 'string' ? s.host : host;
      if (typeof s.name === 'string') this.nodes.push({ kind: 'segment', name: s.name, path: p, raw: s, host: h });
      this.collect(s, p, h, depth + 1);
    });
    list(holder.apps).forEach((a, i) => {
      if (isObj(a) && typeof a.name === 'string') this.nodes.push({ kind: 'app', name: a.name, path: [...path, 'apps', i], raw: a, host: typeof a.host === 'string' ? a.host : host });
    });
  }

  private names(): void {
    const first = new Map<string, Node>();
    for (const node of this.nodes) {
      const at = [...node.path, 'name'];
      const what = node.kind === 'app' ? 'application' : 'segment';
      const prior = first.get(node.name);
      if (prior) {
        this.add('duplicate-name', `${what} name "${node.name}" is already used at ${fieldOf(prior.path)} (line ${this.index.locate(prior.path).key.start.line + 1}); names must be unique in a run configuration`, at, 'value', { other: fieldOf(prior.path) });
      } else first.set(node.name, node);
      if (node.kind === 'app' && node.name.includes('_')) {
        const replacement = node.name.replace(/_/g, '-');
        this.add('underscore-in-name', `application name "${node.name}" contains "_", which DUNE tools split names on; use "-" (e.g. "${replacement}")`, at, 'value', { replacement });
      } else this.k8sName(node.name, at, `${what} name`);
    }
  }

  private k8sName(name: string, path: PathSegment[], what: string): void {
    if (DNS_LABEL.test(name) && name.length <= 63) return;
    const replacement = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
    this.add('invalid-k8s-name', `${what} "${name}" is not a valid Kubernetes name: use lowercase letters, digits and "-", start and end with a letter or digit, at most 63 characters`, path, 'value', replacement ? { replacement } : undefined);
  }

  private segments(spec: Obj): void {
    const root = { raw: spec, path: ['spec'] as PathSegment[], name: 'the top level' };
    const all = [root, ...this.nodes.filter((n) => n.kind === 'segment').map((n) => ({ raw: n.raw, path: n.path, name: `segment "${n.name}"` }))];
    for (const seg of all) {
      const children = [...new Set([...list(seg.raw.segments), ...list(seg.raw.apps)].filter(isObj).map((c) => c.name).filter((n): n is string => typeof n === 'string'))];
      if (children.length === 0 && !this.schemaFailedUnder(fieldOf(seg.path))) {
        const msg = seg.path.length === 1 ? 'spec needs segments or apps: there is nothing to control' : `${seg.name} has no apps or segments`;
        this.add('empty-segment', msg, seg.path.length === 1 ? seg.path : [...seg.path, 'name'], seg.path.length === 1 ? 'key' : 'value');
      }
      if (seg.path.length > 1) this.timeouts(seg.raw.timeouts, [...seg.path, 'timeouts']);
      if (typeof seg.raw.host === 'string') this.hostRef(seg.raw.host, [...seg.path, 'host']);
      this.order(seg.raw.order, [...seg.path, 'order'], children, seg.path.length === 1 ? this.session : seg.name);
    }
  }

  private order(raw: unknown, path: PathSegment[], children: string[], owner: string): void {
    if (!isObj(raw)) return;
    const known = new Set(children);
    for (const [t, groups] of Object.entries(raw)) {
      this.transitionName(t, [...path, t]);
      if (!Array.isArray(groups)) continue;
      const listed = new Set<string>();
      groups.forEach((g, i) => {
        const members = typeof g === 'string' ? [[g, [...path, t, i]] as const] : Array.isArray(g) ? g.map((n, j) => [n, [...path, t, i, j]] as const) : [];
        for (const [n, at] of members) {
          if (typeof n !== 'string') continue;
          if (!known.has(n)) {
            const suggestion = closest(n, children);
            const ownerName = owner.startsWith('segment ') ? owner.slice('segment '.length).replace(/"/g, '') : owner;
            this.add('order-unknown-child', `"${n}" is not a child of ${ownerName} (children: ${children.join(', ') || 'none'})${suggestion ? `; did you mean "${suggestion}"?` : ''}`, [...at], 'value', suggestion ? { suggestion } : undefined);
          } else if (listed.has(n)) {
            this.add('order-duplicate', `"${n}" is listed twice in the ${t} order`, [...at], 'value');
          }
          listed.add(n);
        }
      });
      const missing = children.filter((c) => !listed.has(c));
      if (missing.length) {
        this.add('order-missing-children', `the ${t} order of ${owner} does not list ${missing.map((m) => `"${m}"`).join(', ')}; ${missing.length === 1 ? 'it runs' : 'they run'} after the listed groups`, [...path, t], 'key', { missing });
      }
    }
  }

  // ---- apps and execs -------------------------------------------------------------------

  private exec(raw: unknown, path: PathSegment[]): void {
    if (!isObj(raw)) return;
    this.templates(raw.args, [...path, 'args']);
    this.env(raw.env, [...path, 'env']);
  }

  private app(node: Node): void {
    const { raw, path } = node;
    if (typeof raw.exec === 'string' && !Object.prototype.hasOwnProperty.call(this.execs, raw.exec)) {
      const known = Object.keys(this.execs);
      const suggestion = closest(raw.exec, known);
      this.add('unknown-exec', `app "${node.name}" uses exec "${raw.exec}" which is not defined in spec.execs (known: ${known.join(', ') || 'none'})${suggestion ? `; did you mean "${suggestion}"?` : ''}`, [...path, 'exec'], 'value', suggestion ? { suggestion } : undefined);
    }
    if (typeof raw.host === 'string') this.hostRef(raw.host, [...path, 'host']);
    this.templates(raw.args, [...path, 'args']);
    this.env(raw.env, [...path, 'env']);
    this.timeouts(raw.timeouts, [...path, 'timeouts']);
    if (isObj(raw.commands)) for (const t of Object.keys(raw.commands)) this.transitionName(t, [...path, 'commands', t]);
    list(raw.mounts).forEach((m, i) => {
      if (!isObj(m) || typeof m.hostPath !== 'string' || !m.hostPath.startsWith('/')) return;
      const normal = posix.normalize(m.hostPath).replace(/(.)\/+$/, '$1');
      const hit = FORBIDDEN_HOST_PATHS.find((f) => normal === f || (f !== '/' && normal.startsWith(`${f}/`)));
      if (hit) this.add('forbidden-host-mount', `mounting ${m.hostPath} from the host is not allowed (${hit === '/' ? 'the whole file system' : `${hit} and below`} would expose or endanger the node); mount a dedicated directory instead`, [...path, 'mounts', i, 'hostPath'], 'value');
    });
    const placement = isObj(raw.placement) ? raw.placement : {};
    for (const kind of ['affinity', 'antiAffinity'] as const) {
      list(placement[kind]).forEach((rule, i) => {
        if (!isObj(rule)) return;
        list(rule.apps).forEach((ref, j) => {
          if (typeof ref !== 'string') return;
          if (!this.appNames.has(ref)) {
            const suggestion = closest(ref, this.appNames);
            this.add('unknown-app', `"${ref}" is not an application of this configuration${suggestion ? `; did you mean "${suggestion}"?` : ''}`, [...path, 'placement', kind, i, 'apps', j], 'value', suggestion ? { suggestion } : undefined);
          }
        });
      });
    }
  }

  private hostRef(host: string, path: PathSegment[]): void {
    if (!this.hosts || Object.prototype.hasOwnProperty.call(this.hosts, host)) return;
    // Addresses and qualified names are used literally; a bare word is meant as a spec.hosts name.
    if (host === 'localhost' || host.includes('.') || host.includes(':')) return;
    const known = Object.keys(this.hosts);
    const suggestion = closest(host, known);
    this.add('unknown-host', `host "${host}" is not defined in spec.hosts (known: ${known.join(', ') || 'none'})${suggestion ? `; did you mean "${suggestion}"?` : ''}`, path, 'value', suggestion ? { suggestion } : undefined);
  }

  private resolveHost(host: string): string {
    const mapped = this.hosts?.[host];
    return typeof mapped === 'string' ? mapped : host;
  }

  private templates(raw: unknown, path: PathSegment[]): void {
    list(raw).forEach((v, i) => {
      if (typeof v === 'string') this.template(v, [...path, i]);
    });
  }

  private template(text: string, path: PathSegment[]): void {
    if (!text.includes('{') && !text.includes('}')) return;
    const names = placeholdersIn(text);
    let unknown = false;
    for (const n of names) {
      if (PLACEHOLDERS.includes(n)) continue;
      unknown = true;
      const suggestion = closest(n, PLACEHOLDERS);
      this.add('unknown-placeholder', `unknown placeholder {${n}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}; write {{ and }} for literal braces)${suggestion ? `; did you mean {${suggestion}}?` : ''}`, path, 'value', suggestion ? { suggestion: `{${suggestion}}` } : undefined);
    }
    if (unknown) return;
    try {
      expandPlaceholders(text, Object.fromEntries(PLACEHOLDERS.map((p) => [p, ''])), '');
    } catch (err) {
      this.add('bad-placeholder', (err as Error).message.replace(/^: /, ''), path, 'value');
    }
  }

  private env(raw: unknown, path: PathSegment[]): void {
    if (!isObj(raw)) return;
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== 'string') continue;
      if (v === 'getenv') {
        if (this.opts.env && this.opts.env[k] === undefined) {
          this.add('getenv-unset', `${k} is copied from the environment (getenv) but is not set here; booting would fail. Set it, or use "getenv:DEFAULT" or getenv_ifset`, [...path, k], 'value');
        }
      } else if (!v.startsWith('getenv:') && v !== 'getenv_ifset') this.template(v, [...path, k]);
    }
  }

  // ---- timeouts, ports, scheduling ------------------------------------------------------

  private timeouts(raw: unknown, path: PathSegment[]): void {
    if (!isObj(raw)) return;
    for (const [t, v] of Object.entries(raw)) {
      if (t !== 'default') this.transitionName(t, [...path, t]);
      this.duration(v, [...path, t], `the ${t} timeout`);
    }
  }

  private duration(v: unknown, path: PathSegment[], what: string): void {
    const ms = parseDuration(v);
    if (ms === undefined) return; // the schema reports malformed durations
    if (ms < MIN_TIMEOUT_MS) {
      this.add('timeout-out-of-range', `${what} is ${formatDuration(ms)}; at least ${MIN_TIMEOUT_MS}ms is needed for a command round trip`, path, 'value', { minimumMs: MIN_TIMEOUT_MS });
    } else if (ms > MAX_TIMEOUT_MS) {
      this.add('timeout-out-of-range', `${what} is ${formatDuration(ms)}; more than 1h lets a stuck transition go unnoticed`, path, 'value', { maximumMs: MAX_TIMEOUT_MS }, 'warning');
    }
  }

  private transitionName(t: string, path: PathSegment[]): void {
    if (this.transitions.size === 0 || this.transitions.has(t) || ORDER_ONLY.includes(t)) return;
    const suggestion = closest(t, this.transitions);
    this.add('unknown-transition', `"${t}" is not a transition or sequence of the state machine${suggestion ? `; did you mean "${suggestion}"?` : ''}`, path, 'key', suggestion ? { suggestion } : undefined);
  }

  /**
   * Fixed ports only: `auto` ports are picked by the kernel at boot (bind to port 0), so
   * they cannot collide with each other, and one cannot take a fixed port that is already
   * listening. (An auto port grabbed before a fixed-port app starts is caught at boot.)
   */
  private ports(): void {
    const taken = new Map<string, Node>();
    for (const node of this.nodes) {
      const port = node.raw.port;
      if (node.kind !== 'app' || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) continue;
      const host = this.resolveHost(node.host);
      const key = `${host}:${port}`;
      const other = taken.get(key);
      if (other) this.add('port-collision', `port ${port} on ${host} is also given to app "${other.name}" (${fieldOf(other.path)})`, [...node.path, 'port'], 'value', { other: other.name, port, host });
      else taken.set(key, node);
      // The kernel hands out automatic ports (and the source ports of outgoing connections)
      // from this range, so a fixed port inside it can be taken by the time its app boots.
      if (port >= AUTO_PORT_RANGE[0] && port <= AUTO_PORT_RANGE[1]) {
        this.add('port-in-auto-range', `port ${port} is in the range the system assigns automatically (${AUTO_PORT_RANGE[0]}-${AUTO_PORT_RANGE[1]} on Linux); an automatic port or an outgoing connection may take it before ${node.name} boots: pick a port below ${AUTO_PORT_RANGE[0]}`, [...node.path, 'port'], 'value', { port, range: AUTO_PORT_RANGE });
      }
    }
  }

  /**
   * Strict anti-affinity between apps needs one node per member of any group of mutually
   * exclusive apps. Finding the largest such group exactly is NP-hard; a greedy clique is a
   * lower bound, so a report is always right, though a subtle excess may go unreported.
   */
  private antiAffinity(): void {
    const nodes = this.opts.nodeCount;
    if (nodes === undefined) return;
    const apps = new Map(this.nodes.filter((n) => n.kind === 'app').map((n) => [n.name, n]));
    const edges = new Map<string, Set<string>>();
    const link = (a: string, b: string) => {
      if (a === b || !apps.has(a) || !apps.has(b)) return;
      if (!edges.has(a)) edges.set(a, new Set());
      if (!edges.has(b)) edges.set(b, new Set());
      edges.get(a)!.add(b);
      edges.get(b)!.add(a);
    };
    for (const app of apps.values()) {
      const placement = isObj(app.raw.placement) ? app.raw.placement : {};
      for (const rule of list(placement.antiAffinity)) {
        if (!isObj(rule) || rule.strict === false) continue;
        for (const other of list(rule.apps)) if (typeof other === 'string') link(app.name, other);
      }
    }
    let best: string[] = [];
    for (const [start, neighbours] of edges) {
      if (neighbours.size + 1 <= best.length) continue;
      const clique = [start];
      const ordered = [...neighbours].sort((a, b) => edges.get(b)!.size - edges.get(a)!.size);
      for (const n of ordered) if (clique.every((c) => edges.get(c)!.has(n))) clique.push(n);
      if (clique.length > best.length) best = clique;
    }
    if (best.length > nodes) {
      const anchor = [...best].map((n) => apps.get(n)!).find((n) => isObj(n.raw.placement) && n.raw.placement.antiAffinity !== undefined) ?? apps.get(best[0])!;
      this.add('anti-affinity-unschedulable', `strict anti-affinity keeps ${best.length} applications (${best.join(', ')}) on different nodes, but only ${nodes} ${nodes === 1 ? 'node is' : 'nodes are'} available`, [...anchor.path, 'placement', 'antiAffinity'], 'key', { apps: best, nodeCount: nodes });
    }
  }
}
