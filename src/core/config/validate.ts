import { isMap, isPair, isScalar, isSeq, LineCounter, Pair, parseAllDocuments, parseDocument, Scalar, type Document, type Node as YamlNode } from 'yaml';
import { DIAGNOSTIC_CODES, type BatonDiagnostic, type DiagnosticCode } from './diagnostic';
import { fastParse, type FastParsed } from './fast-yaml';
import { schemaDiagnostics } from './schema-check';
import { semanticDiagnostics } from './semantic-checks';
import { YamlIndex } from './yaml-positions';
import { clusterDiagnostics, clusterUnavailable } from './services/cluster-checks';
import { schedulableNodeCount, type ClusterSnapshot } from './services/cluster-info';

export type { BatonDiagnostic, DiagnosticCode, Position, Range, Severity } from './diagnostic';
export { DIAGNOSTIC_CODES } from './diagnostic';

export interface ValidateOptions {
  /** Used in messages only; the validator never touches the file system. */
  file?: string;
  /** The environment `getenv` values are checked against; no check when absent. */
  env?: NodeJS.ProcessEnv;
  /** Nodes available to the kubernetes backend; enables the anti-affinity check. */
  nodeCount?: number;
  /**
   * The cached nodes of a kubeconfig context (undefined: the selected one), asked only for
   * `backend: kubernetes`; enables the cluster checks. Must answer at once, from a cache.
   */
  cluster?: (context: string | undefined) => ClusterSnapshot | undefined;
  /** Why that context has no snapshot, when known; reported as information at the context. */
  clusterProblem?: (context: string | undefined) => string | undefined;
}

/** Far above any real configuration (5,000 apps is ~0.5 MB); parsing more would stall an editor. */
export const MAX_TEXT_LENGTH = 8 * 1024 * 1024;
/** Billion-laughs guard: the number of nodes alias expansion may produce. */
export const MAX_ALIAS_COUNT = 1000;
/** Deeper data than this is not a run configuration, and recursive checks must stay bounded. */
export const MAX_DEPTH = 200;
/**
 * The yaml parser is not safe on deeply nested, unclosed flow collections (at ~2,000
 * levels it slows to seconds, then V8 aborts the process compiling a regular expression),
 * so such text is refused before parsing. Brackets inside quoted strings count too: no
 * real configuration comes near this.
 */
export const MAX_FLOW_DEPTH = 256;

/**
 * Everything that can be known about a run configuration without running it. Pure (no
 * I/O), never throws, and bounded in time on hostile input. YAML problems come first,
 * in document order; the rest follow sorted by position.
 */
export function validateRunConfig(text: string, opts: ValidateOptions = {}): BatonDiagnostic[] {
  return analyseRunConfig(text, opts).diagnostics;
}

export interface Analysis {
  diagnostics: BatonDiagnostic[];
  /** The first document as plain data, when it could be read; sound only without errors. */
  data?: unknown;
  index?: YamlIndex;
}

/** validateRunConfig plus what it parsed, so the loader reads the text once. */
export function analyseRunConfig(text: string, opts: ValidateOptions = {}): Analysis {
  try {
    return analyse(typeof text === 'string' ? text : String(text), opts);
  } catch (err) {
    return { diagnostics: [internal(err)] };
  }
}

function analyse(text: string, opts: ValidateOptions): Analysis {
  const only = (diagnostics: BatonDiagnostic[]): Analysis => ({ diagnostics });
  const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  if (text.length > MAX_TEXT_LENGTH) {
    return only([{ code: 'too-large', severity: 'error', message: `the file is ${(text.length / 1048576).toFixed(1)} MB; run configurations larger than ${MAX_TEXT_LENGTH / 1048576} MB are not read`, range: zero }]);
  }
  // A reused parse comes from a text that passed the depth checks, changed where no bracket is.
  const edited = reparseEdit(text);
  const deepAt = edited ? -1 : flowDepthExceeded(text, MAX_FLOW_DEPTH);
  if (deepAt >= 0) {
    const lc = new LineCounter();
    let nl = text.indexOf('\n');
    while (nl >= 0 && nl < deepAt) {
      lc.addNewLine(nl + 1);
      nl = text.indexOf('\n', nl + 1);
    }
    const p = lc.linePos(deepAt);
    const at = { line: p.line - 1, character: p.col - 1 };
    return only([{ code: 'too-deep', severity: 'error', message: `[ and { are nested more than ${MAX_FLOW_DEPTH} levels deep here; the file is not checked further`, range: { start: at, end: { line: at.line, character: at.character + 1 } } }]);
  }
  let lines = new LineCounter();
  let docs: Document.Parsed[];
  let fast: FastParsed | undefined;
  if (edited) {
    docs = [edited.doc];
    lines = edited.lines;
  } else if ((fast = fastParse(text, PARSE_OPTIONS))) {
    // The plain YAML run configurations are written in, read several times faster; any other text takes yaml.
    docs = [fast.doc];
    lines = fast.lines;
  } else {
    try {
      docs = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter: lines }) as Document.Parsed[];
    } catch (err) {
      if (err instanceof RangeError) return only([{ code: 'too-deep', severity: 'error', message: 'the document is nested too deeply to be read', range: zero }]);
      return only([internal(err)]);
    }
  }
  const yamlDiags: BatonDiagnostic[] = [];
  const used = docs.filter((d, i) => i === 0 || d.contents !== null || d.errors.length > 0);
  if (used.length === 0 || (used.length === 1 && used[0].contents === null && used[0].errors.length === 0)) {
    return only([{ code: 'empty-document', severity: 'error', message: 'the file is empty: a run configuration needs apiVersion, kind, metadata and spec', range: zero }]);
  }
  const indexes = used.map((d) => new YamlIndex(d, lines, text.length));
  used.forEach((doc, i) => {
    const index = indexes[i];
    if (i === 1) {
      const r = doc.range;
      yamlDiags.push(make('multiple-documents', `only one YAML document is allowed per file; this file has ${used.length} (the ones after the first are ignored)`, index.range(r[0], r[0] + Math.max(1, Math.min(3, r[1] - r[0])))));
    }
    for (const e of doc.errors) {
      const code: DiagnosticCode = e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax';
      const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      const message = code === 'duplicate-key' ? `${first}: a repeated key would silently replace the earlier one` : first;
      yamlDiags.push(make(code, message, index.range(e.pos[0], e.pos[1])));
    }
    for (const w of doc.warnings) yamlDiags.push(make('yaml-warning', w.message.split('\n')[0], index.range(w.pos[0], w.pos[1])));
  });

  const doc = used[0];
  const index = indexes[0];
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof RangeError) return only([...yamlDiags, make('too-deep', 'the document is nested too deeply to be checked', index.top())]);
    // yaml throws a ReferenceError for excessive alias expansion (and for unresolved aliases).
    return only([...yamlDiags, make('alias-limit', `the document cannot be expanded: ${(err as Error).message.split('\n')[0]}`, index.top())]);
  }
  if (!edited && depthExceeds(data, MAX_DEPTH)) return only([...yamlDiags, make('too-deep', `the document is nested more than ${MAX_DEPTH} levels deep; it is not checked further`, index.top())]);

  remember(text, docs, lines);

  const rest: BatonDiagnostic[] = [];
  try {
    rest.push(...schemaDiagnostics(data, index));
  } catch (err) {
    rest.push(internal(err));
  }
  let snapshot: ClusterSnapshot | undefined;
  try {
    snapshot = opts.cluster && clusterSnapshotFor(data, opts.cluster);
    const problem = !snapshot && opts.clusterProblem ? clusterSnapshotFor(data, (c) => opts.clusterProblem!(c)) : undefined;
    if (problem) rest.push(clusterUnavailable(data, index, problem));
  } catch (err) {
    rest.push(internal(err));
  }
  const schemaErrorFields = rest.map((d) => d.field ?? '');
  try {
    rest.push(...semanticDiagnostics(data, index, { env: opts.env, nodeCount: opts.nodeCount ?? (snapshot && schedulableNodeCount(snapshot)), schemaErrorFields }));
  } catch (err) {
    rest.push(internal(err));
  }
  try {
    if (snapshot) rest.push(...clusterDiagnostics(data, index, snapshot, { schemaErrorFields }));
  } catch (err) {
    rest.push(internal(err));
  }
  rest.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { diagnostics: [...yamlDiags, ...rest], data, index };
}

/** The snapshot of the context a kubernetes configuration names (spec.kubernetes.context), or of the selected one. */
function clusterSnapshotFor<T>(data: unknown, cluster: (context: string | undefined) => T | undefined): T | undefined {
  const spec = (data as { spec?: { backend?: unknown; kubernetes?: { context?: unknown } } } | null)?.spec;
  if (typeof spec !== 'object' || spec === null || spec.backend !== 'kubernetes') return undefined;
  const context = typeof spec.kubernetes === 'object' && spec.kubernetes !== null && typeof spec.kubernetes.context === 'string' ? spec.kubernetes.context : undefined;
  return cluster(context);
}

function make(code: DiagnosticCode, message: string, range: BatonDiagnostic['range']): BatonDiagnostic {
  return { code, severity: DIAGNOSTIC_CODES[code], message, range };
}

function internal(err: unknown): BatonDiagnostic {
  const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return { code: 'internal-error', severity: 'error', message: `internal error in the validator (please report): ${err instanceof Error ? err.message : String(err)}`, range: zero };
}

/** Offset of the bracket that first exceeds `max` levels of [ / { nesting, or -1. */
export function flowDepthExceeded(text: string, max: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return -1;
}

/**
 * Iterative, so the check itself cannot overflow the stack it protects. Objects are not
 * marked as visited: a self-referencing alias then simply exceeds the depth, and shared
 * ones are already bounded by MAX_ALIAS_COUNT (the visit cap is a second fence).
 */
function depthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  let visits = 0;
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > max || ++visits > 5_000_000) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

// ---- reuse across edits ------------------------------------------------------------------
//
// Parsing is nearly all of the validator's time (the yaml parser runs at a few MB/s), and an
// editor revalidates after every keystroke. Most keystrokes change one scalar value: a
// digit of a port, a letter of an exec name. For those the previous document is reused: the
// one scalar is re-read on its own and spliced in, and the ranges after it shift. Anything
// that could change the structure (keys, newlines, indicators, quotes, escapes, comments,
// anchors, tags, more than one document, any parse error or warning) takes the full parse.

// logLevel error: yaml would otherwise print its warnings with process.emitWarning.
const PARSE_OPTIONS = { uniqueKeys: true, prettyErrors: false, logLevel: 'error' } as const;

interface Parsed {
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** Parses of texts that passed every check before the schema, newest first. Documents are shared with the analyses handed out, so they are never mutated. */
const recent: Parsed[] = [];
/** A few open documents edited in turn each keep a base; the text cap bounds memory. */
const RECENT_MAX = 4;
const RECENT_MAX_CHARS = MAX_TEXT_LENGTH;
/** Larger changes (a paste, a rename across the file) are rare enough to parse in full. */
const MAX_EDIT = 256;

function remember(text: string, docs: Document.Parsed[], lines: LineCounter): void {
  const doc = docs[0];
  const clean = docs.length === 1 && doc.errors.length === 0 && doc.warnings.length === 0 && isMap(doc.contents) && !/(^|\n)%/.test(text);
  const at = recent.findIndex((r) => r.text === text);
  if (at >= 0) recent.splice(at, 1);
  if (!clean) return;
  recent.unshift({ text, doc, lines });
  let chars = 0;
  for (let i = 0; i < recent.length; i++) {
    chars += recent[i].text.length;
    if (i >= RECENT_MAX || chars > RECENT_MAX_CHARS) {
      recent.length = i;
      break;
    }
  }
}

/** The parse of `text` derived from a remembered one, when they differ inside one scalar value. */
function reparseEdit(text: string): Parsed | undefined {
  for (const base of recent) {
    const old = base.text;
    if (old === text) return base;
    if (Math.abs(old.length - text.length) > MAX_EDIT) continue;
    const limit = Math.min(old.length, text.length);
    let p = 0;
    while (p < limit && old.charCodeAt(p) === text.charCodeAt(p)) p++;
    let q = 0;
    while (q < limit - p && old.charCodeAt(old.length - 1 - q) === text.charCodeAt(text.length - 1 - q)) q++;
    const oldEnd = old.length - q;
    if (oldEnd - p > MAX_EDIT) continue;
    const result = spliceScalar(base, text, p, oldEnd, text.length - old.length);
    if (result) return result;
  }
  return undefined;
}

type Range3 = [number, number, number];

function spliceScalar(base: Parsed, text: string, p: number, oldEnd: number, delta: number): Parsed | undefined {
  // Descend to the scalar value holding the change; a key, or a change spanning nodes, gives up.
  let node: unknown = base.doc.contents;
  const ancestors = new Set<unknown>();
  while (!isScalar(node)) {
    ancestors.add(node);
    let next: unknown;
    if (isMap(node)) {
      for (const pair of node.items as Pair<YamlNode, YamlNode>[]) {
        const k = pair.key?.range;
        if (k && p <= k[2] && oldEnd >= k[0]) return undefined;
        const v = pair.value?.range;
        if (v && v[0] <= p && oldEnd <= v[1]) {
          next = pair.value;
          break;
        }
      }
    } else if (isSeq(node)) {
      next = (node.items as YamlNode[]).find((item) => item?.range && item.range[0] <= p && oldEnd <= item.range[1]);
    }
    if (!next) return undefined;
    node = next;
  }
  const scalar = node as Scalar;
  const r = scalar.range as Range3 | undefined;
  if (!r || scalar.anchor || scalar.tag || scalar.srcToken) return undefined;
  const before = base.text.slice(r[0], r[1]);
  const after = text.slice(r[0], r[1] + delta);
  if (!sameShape(scalar.type, before, after, p - r[0], oldEnd - r[0])) return undefined;

  let fresh: Document.Parsed;
  try {
    fresh = parseDocument(after, PARSE_OPTIONS) as Document.Parsed;
  } catch {
    return undefined;
  }
  const value = fresh.contents;
  if (fresh.errors.length || fresh.warnings.length || !isScalar(value) || value.type !== scalar.type || value.anchor || value.tag) return undefined;
  const fr = value.range as Range3 | undefined;
  if (!fr || fr[0] !== 0 || fr[1] !== after.length) return undefined;
  // What the surrounding text contributed (comments, blank lines before) stays the old node's.
  value.range = [r[0], r[1] + delta, r[2] + delta];
  if (scalar.comment !== undefined) value.comment = scalar.comment;
  if (scalar.commentBefore !== undefined) value.commentBefore = scalar.commentBefore;
  if (scalar.spaceBefore !== undefined) value.spaceBefore = scalar.spaceBefore;

  // Offsets after the change move; so do the ends of what holds it, which may be at it.
  const shift = (range: Range3, holds: boolean): Range3 => range.map((o, i) => (o > p || (holds && i > 0 && o === p) ? o + delta : o)) as Range3;
  // Nodes wholly before the change are shared; the rest are copied with shifted ranges.
  const rebuild = (n: unknown): unknown => {
    if (n === scalar) return value;
    const range = (n as YamlNode | null)?.range as Range3 | undefined;
    const holds = ancestors.has(n);
    if (!range || (!holds && range[2] <= p && range[1] <= p)) return n;
    const copy = copyNode(n as YamlNode) as YamlNode & { items?: unknown[] };
    copy.range = delta === 0 ? range : shift(range, holds);
    if (isMap(n) || isSeq(n)) {
      copy.items = (n.items as unknown[]).map((item) => {
        if (!isPair(item)) return rebuild(item);
        const k = rebuild(item.key);
        const v = rebuild(item.value);
        return k === item.key && v === item.value ? item : Object.assign(new Pair(k, v), item, { key: k, value: v });
      });
    }
    return copy;
  };
  const doc = Object.create(Object.getPrototypeOf(base.doc), Object.getOwnPropertyDescriptors(base.doc)) as Document.Parsed;
  doc.contents = rebuild(base.doc.contents) as Document.Parsed['contents'];
  doc.range = shift(base.doc.range as Range3, true);
  doc.errors = [];
  doc.warnings = [];
  const lines = new LineCounter();
  if (delta === 0) lines.lineStarts = base.lines.lineStarts;
  else lines.lineStarts = base.lines.lineStarts.map((o) => (o > p ? o + delta : o));
  return { text, doc, lines };
}

/**
 * A shallow copy through the node's own constructor, which sets what Object.assign cannot
 * (the node-type symbol, a collection's schema). Copies made from property descriptors
 * instead leave V8 objects in dictionary mode, and every later read of them slow.
 */
function copyNode(n: YamlNode): YamlNode {
  const Ctor = Object.getPrototypeOf(n).constructor as new (arg?: unknown) => YamlNode;
  if (isScalar(n)) return Object.assign(new Ctor(n.value), n);
  if (isMap(n) || isSeq(n)) return Object.assign(new Ctor(n.schema), n);
  return Object.create(Object.getPrototypeOf(n), Object.getOwnPropertyDescriptors(n)) as YamlNode;
}

/** Plain words a change cannot turn into structure: no indicator first, nothing that ends or splits a scalar. */
const SAFE_PLAIN = /^[^\s\-?:,[\]{}#&*!|>'"%@`.][^:#,[\]{}\n\r\t]*$/;

/** Whether `after` is read as the same kind of single-line scalar as `before`, in the same place. */
function sameShape(type: Scalar['type'], before: string, after: string, from: number, to: number): boolean {
  if (after.length === 0 || /\s$/.test(after)) return false;
  switch (type) {
    case Scalar.PLAIN:
      return SAFE_PLAIN.test(before) && SAFE_PLAIN.test(after);
    case Scalar.QUOTE_DOUBLE:
    case Scalar.QUOTE_SINGLE: {
      // The change must stay between the quotes, and neither text may hold an escape or a quote.
      const q = type === Scalar.QUOTE_DOUBLE ? '"' : "'";
      const inner = /^[^"'\\\n\r[\]{}]*$/;
      return from > 0 && to < before.length && before[0] === q && before.endsWith(q) && after[0] === q && after.endsWith(q) && before.length >= 2 && after.length >= 2 && inner.test(before.slice(1, -1)) && inner.test(after.slice(1, -1));
    }
    default:
      return false;
  }
}
