import { isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap } from 'yaml';
import type { Position, Range } from '../diagnostic';
import { isQuoted, keyName, mapPairs, seqItems, type ConfigDocument, type PathSegment } from './document';
import { schemaAt, types, wantsMap, type SchemaNode } from './schema';
import { ConfigIndex } from './symbols';
import { fsmVocabulary, describeTransition } from './vocabulary';

export type CompletionKind = 'property' | 'value' | 'exec' | 'app' | 'segment' | 'host' | 'transition' | 'sequence' | 'state' | 'label';

export interface CompletionEntry {
  label: string;
  kind: CompletionKind;
  detail?: string;
  /** Markdown. */
  documentation?: string;
  /** Replaces `range`; a key brings its colon, a value its quotes. */
  newText: string;
  range: Range;
}

/** Where the cursor is, as far as completion cares. */
export type CompletionContext =
  | { kind: 'key'; container: PathSegment[]; start: number; end: number; colon: boolean; flow: boolean }
  | { kind: 'value'; path: PathSegment[]; start: number; end: number; quote: string; space: boolean };

export interface CompletionOptions {
  /** Node label keys and their values on the cluster, when one is known. */
  nodeLabels?: Record<string, string[]>;
}

export function complete(doc: ConfigDocument, pos: Position, opts: CompletionOptions = {}): CompletionEntry[] {
  const ctx = completionContext(doc, pos);
  return ctx ? completions(doc, ctx, opts) : [];
}

/** True where node labels would be offered, so a caller asks a cluster only then. */
export function wantsNodeLabels(ctx: CompletionContext | undefined): boolean {
  if (!ctx) return false;
  const p = ctx.kind === 'key' ? ctx.container : ctx.path;
  return p.includes('nodeSelector') || p.includes('nodeAffinity');
}

export function completionContext(doc: ConfigDocument, pos: Position): CompletionContext | undefined {
  const offset = doc.offsetAt(pos);
  if (offset === undefined || !doc.doc) return undefined;
  const prefix = doc.lineText(pos.line).slice(0, pos.character);
  if (inComment(prefix)) return undefined;
  const hit = doc.at(offset);
  const r = hit.node?.range;
  if (hit.part === 'key' && r) {
    return { kind: 'key', container: hit.path.slice(0, -1), start: r[0], end: r[1], colon: /^\s*:/.test(doc.text.slice(r[1], r[1] + 80)), flow: inFlow(doc, hit.path.slice(0, -1)) };
  }
  if (hit.part === 'value' && r) {
    const quoted = isQuoted(hit.node);
    // A bare word where only a mapping can go is a key being typed (`spec:\n  ba|`).
    if (!quoted && wantsMap(schemaAt(hit.path)?.schema)) return { kind: 'key', container: hit.path, start: r[0], end: r[1], colon: false, flow: false };
    const quote = quoted ? doc.text[r[0]] : '';
    return { kind: 'value', path: hit.path, start: r[0], end: r[1], quote, space: doc.text[r[0] - 1] === ':' };
  }
  const node = hit.node;
  if ((isMap(node) || isSeq(node)) && node.flow && node.range && offset > node.range[0]) return flowContext(doc, node as YamlNode, hit.path, offset);
  return blockContext(doc, pos, offset, prefix);
}

function inComment(prefix: string): boolean {
  let quote = '';
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(prefix[i - 1]))) return true;
  }
  return false;
}

function inFlow(doc: ConfigDocument, container: PathSegment[]): boolean {
  const n = doc.node(container);
  return (isMap(n) || isSeq(n)) && !!n.flow;
}

/** Between entries of `[...]` or `{...}`: what the last separator at this level says. */
function flowContext(doc: ConfigDocument, node: YamlNode, path: PathSegment[], offset: number): CompletionContext | undefined {
  const from = node.range![0] + 1;
  let depth = 0;
  let quote = '';
  let sep = from - 1;
  let sepChar = '';
  for (let i = from; i < offset; i++) {
    const c = doc.text[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (depth === 0 && (c === ',' || c === ':')) {
      sep = i;
      sepChar = c;
    }
  }
  const empty = { start: offset, end: offset };
  if (isSeq(node)) return { kind: 'value', path: [...path, node.items.filter((it) => (it as YamlNode | null)?.range && (it as YamlNode).range![0] < offset).length], ...empty, quote: '', space: false };
  if (sepChar === ':') {
    const commaBefore = Math.max(doc.text.lastIndexOf(',', sep), from - 1);
    const key = doc.text.slice(commaBefore + 1, sep).trim().replace(/^["']|["']$/g, '');
    return { kind: 'value', path: [...path, key], ...empty, quote: '', space: doc.text[offset - 1] === ':' };
  }
  return { kind: 'key', container: path, ...empty, colon: false, flow: true };
}

// `s`: a line may hold \r or \u2028, which `.` would not match.
const LINE = /^(\s*)((?:-\s+)*)(.*)$/s;

function blockContext(doc: ConfigDocument, pos: Position, offset: number, prefix: string): CompletionContext | undefined {
  const [, indent, dashes, rest] = LINE.exec(prefix)!;
  const empty = { start: offset, end: offset };
  const lineStart = offset - pos.character;
  if (/^[^\s:#'"[\]{}][^:#]*:\s*$/.test(rest)) {
    const key = doc.at(lineStart + indent.length + dashes.length);
    if (key.part !== 'key') return undefined;
    return { kind: 'value', path: key.path, ...empty, quote: '', space: prefix.endsWith(':') };
  }
  if (rest.trim() !== '') return undefined;
  if (dashes) {
    const seq = sequenceAbove(doc, pos.line, indent.length);
    if (!seq) return undefined;
    const items = seqItems(doc.node(seq));
    const index = items.filter((it) => (it as YamlNode | null)?.range && (it as YamlNode).range![0] < offset).length;
    const path = [...seq, index];
    if (wantsMap(schemaAt(path)?.schema)) return { kind: 'key', container: path, ...empty, colon: false, flow: false };
    return { kind: 'value', path, ...empty, quote: '', space: false };
  }
  const container = mappingAbove(doc, pos.line, prefix.length);
  return container ? { kind: 'key', container, ...empty, colon: false, flow: false } : undefined;
}

interface LineShape {
  indent: number;
  /** Column of the content after any `- ` prefixes. */
  keyCol: number;
  dash: boolean;
  /** A `key:` line with nothing after the colon. */
  opensBlock: boolean;
}

function shape(text: string): LineShape | undefined {
  const m = LINE.exec(text)!;
  const content = m[3];
  if (content.trim() === '' && m[2] === '') return undefined;
  if (content.startsWith('#')) return undefined;
  return { indent: m[1].length, keyCol: m[1].length + m[2].length, dash: m[2] !== '', opensBlock: /:\s*(#.*)?$/.test(content) };
}

/** The mapping a key typed at `column` on `line` would belong to, judged by indentation. */
function mappingAbove(doc: ConfigDocument, line: number, column: number): PathSegment[] | undefined {
  for (let l = line - 1; l >= 0; l--) {
    const s = shape(doc.lineText(l));
    if (!s || s.indent > column || s.keyCol > column) continue;
    const hit = doc.at(doc.offsetAt({ line: l, character: s.keyCol })!);
    if (hit.part !== 'key') return undefined;
    return s.keyCol === column ? hit.path.slice(0, -1) : s.opensBlock ? hit.path : undefined;
  }
  return column === 0 ? [] : undefined;
}

/** The sequence a `- ` typed at `column` on `line` adds an item to. */
function sequenceAbove(doc: ConfigDocument, line: number, column: number): PathSegment[] | undefined {
  for (let l = line - 1; l >= 0; l--) {
    const s = shape(doc.lineText(l));
    if (!s || s.indent > column) continue;
    if (s.indent === column && s.dash) {
      // The dash itself lies inside the sequence but before its item.
      const hit = doc.at(doc.offsetAt({ line: l, character: s.indent })!);
      return isSeq(hit.node) ? hit.path : undefined;
    }
    if (!s.opensBlock) return undefined;
    const hit = doc.at(doc.offsetAt({ line: l, character: s.keyCol })!);
    return hit.part === 'key' ? hit.path : undefined;
  }
  return undefined;
}

// ---- what to offer ------------------------------------------------------------------------

export function completions(doc: ConfigDocument, ctx: CompletionContext, opts: CompletionOptions = {}): CompletionEntry[] {
  const range = doc.range(ctx.start, ctx.end);
  if (ctx.kind === 'key') return keyEntries(doc, ctx, range, opts);
  const entries = valueEntries(doc, ctx.path, opts);
  const seen = new Set<string>();
  return entries
    .filter((e) => !seen.has(e.label) && !!seen.add(e.label))
    .map((e) => ({ ...e, range, newText: `${ctx.space ? ' ' : ''}${ctx.quote}${e.label}${ctx.quote}` }));
}

type Entry = Omit<CompletionEntry, 'newText' | 'range'>;

function keyEntries(doc: ConfigDocument, ctx: Extract<CompletionContext, { kind: 'key' }>, range: Range, opts: CompletionOptions): CompletionEntry[] {
  const holder = doc.node(ctx.container);
  const present = new Set(mapPairs(holder).filter((p) => !(p.key as YamlNode | null)?.range || (p.key as YamlNode).range![0] !== ctx.start).map((p) => keyName(p.key)));
  const schema = schemaAt(ctx.container)?.schema;
  const out: Array<Entry & { block: boolean }> = [];
  for (const [key, prop] of Object.entries(schema?.properties ?? {})) {
    const sub = schemaAt([...ctx.container, key]);
    const t = sub ? types(sub.schema) : [];
    out.push({ label: key, kind: 'property', detail: t.join(' | ') || undefined, documentation: sub?.doc ?? prop.description, block: t.length === 1 && (t[0] === 'object' || t[0] === 'array') });
  }
  out.push(...namedKeys(doc, ctx.container, opts).map((e) => ({ ...e, block: false })));
  return out
    .filter((e) => !present.has(e.label))
    .map(({ block, ...e }) => ({ ...e, range, newText: ctx.colon ? e.label : `${e.label}:${block && !ctx.flow ? '' : ' '}` }));
}

/** Keys of mappings keyed by a name from elsewhere: transitions, node labels, resources. */
function namedKeys(doc: ConfigDocument, container: PathSegment[], opts: CompletionOptions): Entry[] {
  const last = container[container.length - 1];
  const parent = container[container.length - 2];
  const fsm = fsmVocabulary(doc);
  const transitions = (withSequences: boolean, extra: string[]): Entry[] => [
    ...extra.map((label) => ({ label, kind: 'transition' as const, documentation: describeTransition(fsm, label) })),
    ...fsm.transitions.map((label) => ({ label, kind: 'transition' as const, documentation: describeTransition(fsm, label) })),
    ...(withSequences ? fsm.sequences.map((label) => ({ label, kind: 'sequence' as const, documentation: describeTransition(fsm, label) })) : []),
  ];
  if (last === 'timeouts') return transitions(true, ['default']);
  if (last === 'order' && isSegmentPath(container.slice(0, -1))) return transitions(true, []);
  if (last === 'commands' && parent !== undefined && typeof parent === 'number') return transitions(false, []);
  if (last === 'nodeSelector') return Object.keys(opts.nodeLabels ?? {}).map((label) => ({ label, kind: 'label', detail: 'node label' }));
  if ((last === 'requests' || last === 'limits') && parent === 'resources') return ['cpu', 'memory'].map((label) => ({ label, kind: 'property' }));
  return [];
}

function isSegmentPath(p: PathSegment[]): boolean {
  return (p.length === 1 && p[0] === 'spec') || (p.length >= 3 && p[p.length - 2] === 'segments');
}

function valueEntries(doc: ConfigDocument, path: PathSegment[], opts: CompletionOptions): Entry[] {
  const index = ConfigIndex.of(doc);
  const fsm = fsmVocabulary(doc);
  const last = path[path.length - 1];
  const n = path.length;
  const isApp = (p: PathSegment[]) => p.length >= 3 && p[p.length - 2] === 'apps' && typeof p[p.length - 1] === 'number';
  const out: Entry[] = [];

  if (last === 'exec' && isApp(path.slice(0, -1))) out.push(...index.execs.map((e) => ({ label: e.name, kind: 'exec' as const, detail: 'exec' })));
  if (last === 'host' && (n === 2 || isApp(path.slice(0, -1)) || isSegmentPath(path.slice(0, -1)))) {
    out.push(...index.hosts.map((h) => ({ label: h.name, kind: 'host' as const, detail: isScalar(h.value) ? String(h.value.value) : undefined })));
  }
  const k = path.lastIndexOf('order');
  if (k >= 1 && isSegmentPath(path.slice(0, k))) {
    if (n === k + 2) out.push({ label: 'parallel', kind: 'value', detail: 'all children at once' });
    else if (n >= k + 3) out.push(...orderChildren(doc, index, path, k));
  }
  const p = path.lastIndexOf('placement');
  if (p >= 0 && isApp(path.slice(0, p))) out.push(...placementValues(doc, index, path, p, opts));
  if (path[0] === 'spec' && path[1] === 'fsm') out.push(...fsmValues(path.slice(2), fsm));

  const schema = schemaAt(path)?.schema;
  if (schema) out.push(...schemaValues(schema));
  return out;
}

function orderChildren(doc: ConfigDocument, index: ConfigIndex, path: PathSegment[], k: number): Entry[] {
  const owner = path.slice(0, k);
  // Names already placed in another group of this transition are not offered again.
  const listed = new Set<string>();
  const groups = doc.node(path.slice(0, k + 2));
  seqItems(groups).forEach((g, i) => {
    const members = isScalar(g) ? [[g, [i]] as const] : seqItems(g).map((m, j) => [m, [i, j]] as const);
    for (const [m, at] of members) if (isScalar(m) && JSON.stringify([...path.slice(0, k + 2), ...at]) !== JSON.stringify(path)) listed.add(String(m.value));
  });
  return index
    .childrenOf(owner)
    .filter((c) => !listed.has(c))
    .map((c) => ({ label: c, kind: index.entry(c)?.kind === 'segment' ? ('segment' as const) : ('app' as const) }));
}

function placementValues(doc: ConfigDocument, index: ConfigIndex, path: PathSegment[], p: number, opts: CompletionOptions): Entry[] {
  const rel = path.slice(p + 1);
  const labels = opts.nodeLabels ?? {};
  const self = index.entries.find((e) => JSON.stringify(e.path) === JSON.stringify(path.slice(0, p)))?.name;
  if ((rel[0] === 'affinity' || rel[0] === 'antiAffinity') && rel[2] === 'apps' && rel.length === 4) {
    return index.entries.filter((e) => e.kind === 'app' && e.name && e.name !== self).map((e) => ({ label: e.name, kind: 'app' }));
  }
  if (rel[0] === 'nodeSelector' && rel.length === 2) return (labels[String(rel[1])] ?? []).map((label) => ({ label, kind: 'label', detail: `${String(rel[1])}=${label}` }));
  if (rel[0] === 'nodeAffinity' && rel[2] === 'key' && rel.length === 3) return Object.keys(labels).map((label) => ({ label, kind: 'label', detail: 'node label' }));
  if (rel[0] === 'nodeAffinity' && rel[2] === 'values' && rel.length === 4) {
    const rule = doc.node(path.slice(0, p + 3));
    const key = isMap(rule) ? (rule as YAMLMap).get('key') : undefined;
    return typeof key === 'string' ? (labels[key] ?? []).map((label) => ({ label, kind: 'label', detail: `${key}=${label}` })) : [];
  }
  return [];
}

function fsmValues(rel: PathSegment[], fsm: ReturnType<typeof fsmVocabulary>): Entry[] {
  const states = (extra: string[]): Entry[] => [...extra, ...fsm.states].map((label) => ({ label, kind: 'state' }));
  const transitions = (): Entry[] => fsm.transitions.map((label) => ({ label, kind: 'transition', documentation: describeTransition(fsm, label) }));
  const [group, , field] = rel;
  if (rel.length === 1 && (group === 'initial' || group === 'error' || group === 'errorState')) return states([]);
  if (group === 'states') return [];
  if (group === 'transitions' && (field === 'source' || field === 'dest')) return states(field === 'source' && rel.length === 3 ? ['*'] : []);
  if (group === 'sequences') {
    // {name: [steps]}, [{name, steps: [...]}], and a step may be {transition: x}.
    const steps = typeof rel[1] === 'string' ? rel.slice(2) : field === 'steps' ? rel.slice(3) : undefined;
    if (steps && (steps.length === 1 || (steps.length === 2 && steps[1] === 'transition'))) return transitions();
  }
  return [];
}

function schemaValues(schema: SchemaNode): Entry[] {
  const out: Entry[] = [];
  for (const v of schema.enum ?? []) out.push({ label: String(v), kind: 'value', documentation: schema.description });
  if (types(schema).includes('boolean')) out.push({ label: 'true', kind: 'value' }, { label: 'false', kind: 'value' });
  if (typeof schema.default === 'string' && !(schema.enum ?? []).includes(schema.default)) out.push({ label: schema.default, kind: 'value', detail: 'default' });
  return out;
}
