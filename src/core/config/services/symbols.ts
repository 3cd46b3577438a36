import { isMap, isScalar, type Node as YamlNode } from 'yaml';
import type { Position, Range } from '../diagnostic';
import { MAX_DEPTH } from '../validate';
import { mapPairs, keyName, scalarText, seqItems, type ConfigDocument, type PathSegment } from './document';

/**
 * A name that means something across the file: an exec, an app or segment (one namespace,
 * since ordering may name either), or a logical host. `decl` is where it is defined.
 */
export interface NameRef {
  kind: 'exec' | 'node' | 'host';
  name: string;
  role: 'decl' | 'use';
  start: number;
  end: number;
  path: PathSegment[];
}

export interface TreeEntry {
  kind: 'app' | 'segment';
  name: string;
  path: PathSegment[];
  item: YamlNode;
  nameNode?: YamlNode;
  /** Host as written on the entry or inherited from the nearest ancestor (or spec). */
  host: string;
  children: TreeEntry[];
}

export interface Declared {
  name: string;
  key: YamlNode;
  value: YamlNode | null;
}

/** Everything in a document that has a name: built once per document version. */
export class ConfigIndex {
  readonly refs: NameRef[] = [];
  readonly roots: TreeEntry[] = [];
  readonly entries: TreeEntry[] = [];
  readonly execs: Declared[] = [];
  readonly hosts: Declared[] = [];

  private constructor(private readonly doc: ConfigDocument) {
    const spec = doc.node(['spec']);
    if (!isMap(spec)) return;
    for (const pair of mapPairs(doc.node(['spec', 'execs']))) this.declare('exec', this.execs, pair.key, pair.value, ['spec', 'execs']);
    for (const pair of mapPairs(doc.node(['spec', 'hosts']))) this.declare('host', this.hosts, pair.key, pair.value, ['spec', 'hosts']);
    const host = scalarText(doc.node(['spec', 'host']));
    this.use('host', doc.node(['spec', 'host']), ['spec', 'host']);
    this.walk(['spec'], host ?? '127.0.0.1', this.roots, 0);
  }

  private static readonly cache = new WeakMap<ConfigDocument, ConfigIndex>();

  static of(doc: ConfigDocument): ConfigIndex {
    let index = ConfigIndex.cache.get(doc);
    if (!index) {
      index = new ConfigIndex(doc);
      ConfigIndex.cache.set(doc, index);
    }
    return index;
  }

  private declare(kind: NameRef['kind'], into: Declared[], key: unknown, value: unknown, parent: PathSegment[]): void {
    const name = scalarText(key) ?? (isScalar(key) ? keyName(key) : undefined);
    const r = (key as YamlNode | null)?.range;
    if (name === undefined || !r) return;
    into.push({ name, key: key as YamlNode, value: (this.doc.resolve(value) ?? null) as YamlNode | null });
    this.refs.push({ kind, name, role: 'decl', start: r[0], end: r[1], path: [...parent, name] });
  }

  private use(kind: NameRef['kind'], node: unknown, path: PathSegment[]): void {
    const name = scalarText(node);
    const r = (node as YamlNode | null)?.range;
    if (name !== undefined && r) this.refs.push({ kind, name, role: 'use', start: r[0], end: r[1], path });
  }

  private walk(at: PathSegment[], host: string, into: TreeEntry[], depth: number): void {
    if (depth > MAX_DEPTH) return;
    this.order(at);
    for (const kind of ['segments', 'apps'] as const) {
      seqItems(this.doc.node([...at, kind])).forEach((raw, i) => {
        const item = this.doc.resolve(raw);
        if (!isMap(item)) return;
        const path = [...at, kind, i];
        const nameNode = this.doc.node([...path, 'name']);
        const hostNode = this.doc.node([...path, 'host']);
        this.use('host', hostNode, [...path, 'host']);
        const name = scalarText(nameNode);
        const entry: TreeEntry = { kind: kind === 'apps' ? 'app' : 'segment', name: name ?? '', path, item: item as YamlNode, nameNode, host: scalarText(hostNode) ?? host, children: [] };
        if (name !== undefined) {
          this.refs.push({ kind: 'node', name, role: 'decl', start: nameNode!.range![0], end: nameNode!.range![1], path: [...path, 'name'] });
        }
        into.push(entry);
        this.entries.push(entry);
        if (kind === 'segments') this.walk(path, entry.host, entry.children, depth + 1);
        else this.appRefs(path);
      });
    }
  }

  private order(at: PathSegment[]): void {
    for (const pair of mapPairs(this.doc.node([...at, 'order']))) {
      const t = keyName(pair.key);
      seqItems(this.doc.resolve(pair.value)).forEach((group, i) => {
        const g = this.doc.resolve(group);
        if (isScalar(g)) this.use('node', g, [...at, 'order', t, i]);
        else seqItems(g).forEach((m, j) => this.use('node', this.doc.resolve(m), [...at, 'order', t, i, j]));
      });
    }
  }

  private appRefs(path: PathSegment[]): void {
    this.use('exec', this.doc.node([...path, 'exec']), [...path, 'exec']);
    for (const kind of ['affinity', 'antiAffinity']) {
      seqItems(this.doc.node([...path, 'placement', kind])).forEach((_rule, i) => {
        const at = [...path, 'placement', kind, i, 'apps'];
        seqItems(this.doc.node(at)).forEach((m, j) => this.use('node', this.doc.resolve(m), [...at, j]));
      });
    }
  }

  /** The name under an offset, if any (a cursor just after a name still counts). */
  at(offset: number): NameRef | undefined {
    return this.refs.find((r) => r.start <= offset && offset <= r.end);
  }

  same(ref: NameRef): NameRef[] {
    return this.refs.filter((r) => r.kind === ref.kind && r.name === ref.name);
  }

  entry(name: string): TreeEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** Names of the direct children of the segment at `at` (['spec'] for the top level). */
  childrenOf(at: readonly PathSegment[]): string[] {
    const key = JSON.stringify(at);
    const list = at.length === 1 ? this.roots : this.entries.find((e) => JSON.stringify(e.path) === key)?.children ?? [];
    return list.map((c) => c.name).filter((n) => n !== '');
  }
}

/** Where the name under `pos` is defined (a definition is its own definition). */
export function definition(doc: ConfigDocument, pos: Position): Range[] {
  return related(doc, pos, (r) => r.role === 'decl');
}

export function references(doc: ConfigDocument, pos: Position, includeDeclaration: boolean): Range[] {
  return related(doc, pos, (r) => includeDeclaration || r.role === 'use');
}

function related(doc: ConfigDocument, pos: Position, keep: (r: NameRef) => boolean): Range[] {
  const offset = doc.offsetAt(pos);
  if (offset === undefined) return [];
  const index = ConfigIndex.of(doc);
  const ref = index.at(offset);
  return ref ? index.same(ref).filter(keep).map((r) => doc.range(r.start, r.end)) : [];
}

export type OutlineKind = 'group' | 'exec' | 'host' | 'segment' | 'app';

/** An outline entry, shaped like LSP's DocumentSymbol. */
export interface OutlineSymbol {
  name: string;
  detail?: string;
  kind: OutlineKind;
  range: Range;
  selectionRange: Range;
  children: OutlineSymbol[];
}

/** The outline: execs and hosts, then the control tree (segments nested, apps as leaves). */
export function documentSymbols(doc: ConfigDocument): OutlineSymbol[] {
  const index = ConfigIndex.of(doc);
  const out: OutlineSymbol[] = [];
  const group = (key: string, kind: OutlineKind, items: Declared[], detail: (d: Declared) => string | undefined) => {
    const node = doc.node(['spec']);
    const pair = isMap(node) ? node.items.find((p) => keyName(p.key) === key) : undefined;
    if (!pair || items.length === 0) return;
    const children = items.map((d) => symbol(doc, d.name, kind, d.key, d.value ?? d.key, detail(d), []));
    out.push(symbol(doc, key, 'group', pair.key as YamlNode, (pair.value as YamlNode | null) ?? (pair.key as YamlNode), undefined, children));
  };
  group('execs', 'exec', index.execs, (d) => commandOf(d.value));
  group('hosts', 'host', index.hosts, (d) => scalarText(d.value));
  const tree = (e: TreeEntry): OutlineSymbol =>
    symbol(doc, e.name || '(unnamed)', e.kind, e.nameNode ?? e.item, e.item, e.kind === 'app' ? appDetail(doc, e) : undefined, e.children.map(tree));
  out.push(...index.roots.map(tree));
  return out;
}

function symbol(doc: ConfigDocument, name: string, kind: OutlineKind, select: YamlNode, whole: YamlNode, detail: string | undefined, children: OutlineSymbol[]): OutlineSymbol {
  const s = select.range ?? [0, 0];
  const w = whole.range ?? s;
  // LSP requires the selection inside the range; a key sits before its value, so widen.
  const start = Math.min(s[0], w[0]);
  const end = Math.max(s[1], w[1]);
  return { name, kind, detail, range: doc.range(start, end), selectionRange: doc.range(s[0], s[1]), children };
}

function commandOf(exec: YamlNode | null): string | undefined {
  if (!isMap(exec)) return undefined;
  const command = exec.get('command', true) as unknown;
  if (isScalar(command)) return String(command.value);
  const parts = seqItems(command).map((n) => (isScalar(n) ? String(n.value) : '…'));
  return parts.length ? parts.join(' ') : undefined;
}

function appDetail(doc: ConfigDocument, e: TreeEntry): string | undefined {
  const exec = scalarText(doc.node([...e.path, 'exec']));
  const port = doc.node([...e.path, 'port']);
  const parts = [exec && `exec ${exec}`, `host ${e.host}`, isScalar(port) ? `port ${String(port.value)}` : undefined].filter(Boolean);
  return parts.join(', ');
}
