import { isScalar, isSeq, type Node as YamlNode } from 'yaml';
import type { Range } from '../diagnostic';
import { isObj, type ConfigDocument } from './document';
import { ConfigIndex } from './symbols';

export interface TextEdit {
  range: Range;
  newText: string;
}

/** What a quick fix needs of a diagnostic: the validator's own fields, as an editor returns them. */
export interface FixableDiagnostic {
  code?: string | number;
  /** LSP 3.18 lets a client hand back markup; only its text is read. */
  message: string | { value: string };
  range: Range;
  data?: unknown;
}

export interface QuickFix<D extends FixableDiagnostic = FixableDiagnostic> {
  title: string;
  diagnostic: D;
  edits: TextEdit[];
  preferred: boolean;
}

const SUGGESTING = new Set(['unknown-key', 'unknown-exec', 'unknown-host', 'unknown-app', 'order-unknown-child', 'unknown-transition', 'invalid-value']);

/**
 * Quick fixes for the validator's diagnostics, from the fix data it attached. Edits touch
 * only the characters that change, so comments, quoting and layout survive.
 */
export function quickFixes<D extends FixableDiagnostic>(doc: ConfigDocument, diagnostics: readonly D[]): QuickFix<D>[] {
  const out: QuickFix<D>[] = [];
  for (const d of diagnostics) {
    try {
      for (const fix of [fixFor(doc, d) ?? []].flat()) out.push({ ...fix, diagnostic: d });
    } catch {
      // A stale diagnostic (from an older version of the text) simply offers nothing.
    }
  }
  return out;
}

type Fix = Omit<QuickFix, 'diagnostic'>;

function fixFor(doc: ConfigDocument, d: FixableDiagnostic): Fix | Fix[] | undefined {
  const data = isObj(d.data) ? d.data : {};
  const start = doc.offsetAt(d.range.start);
  const end = doc.offsetAt(d.range.end);
  if (start === undefined || end === undefined || !doc.doc) return undefined;
  const code = String(d.code ?? '');
  if (SUGGESTING.has(code) && typeof data.suggestion === 'string') {
    return { title: `Change to "${data.suggestion}"`, edits: [replaceWord(doc, start, end, data.suggestion)], preferred: true };
  }
  if (code === 'unknown-placeholder' && typeof data.suggestion === 'string') {
    const message = typeof d.message === 'string' ? d.message : d.message.value;
    const bad = /unknown placeholder (\{[^}]*\})/.exec(message)?.[1];
    const at = bad ? doc.text.slice(start, end).indexOf(bad) : -1;
    if (!bad || at < 0) return undefined;
    return { title: `Change ${bad} to ${data.suggestion}`, edits: [{ range: doc.range(start + at, start + at + bad.length), newText: data.suggestion }], preferred: true };
  }
  if ((code === 'underscore-in-name' || code === 'invalid-k8s-name') && typeof data.replacement === 'string') {
    return { title: `Rename to "${data.replacement}"`, edits: renameAll(doc, start, end, data.replacement), preferred: true };
  }
  if (code === 'duplicate-name') {
    const name = unquote(doc.text.slice(start, end));
    const free = freeName(ConfigIndex.of(doc).entries.map((e) => e.name), name);
    return { title: `Rename to "${free}"`, edits: [replaceWord(doc, start, end, free)], preferred: true };
  }
  if (code === 'node-selector-no-match' && Array.isArray(data.seen)) {
    // One fix per value the cluster's nodes have (a handful at most), quoted: node labels are strings.
    const values = data.seen.filter((v): v is string => typeof v === 'string').slice(0, 5);
    const quoted = /^["']/.test(doc.text.slice(start, end));
    return values.map((v) => ({
      title: `Change to "${v}" (nodes of the cluster have it)`,
      edits: [quoted ? replaceWord(doc, start, end, v) : { range: doc.range(start, end), newText: JSON.stringify(v) }],
      preferred: values.length === 1,
    }));
  }
  if (code === 'order-missing-children' && Array.isArray(data.missing)) return addToOrder(doc, start, data.missing.map(String));
  if (code === 'port-collision') {
    const taken = usedPorts(doc);
    const wanted = typeof data.port === 'number' ? data.port : Number(doc.text.slice(start, end));
    const free = freePort(taken, Number.isInteger(wanted) ? wanted : 3333);
    if (free === undefined) return undefined;
    return { title: `Use free port ${free}`, edits: [{ range: d.range, newText: String(free) }], preferred: true };
  }
  return undefined;
}

function unquote(text: string): string {
  return /^(["']).*\1$/s.test(text) ? text.slice(1, -1) : text;
}

/** Replaces a scalar's text, keeping the quotes it was written with. */
function replaceWord(doc: ConfigDocument, start: number, end: number, value: string): TextEdit {
  const text = doc.text.slice(start, end);
  const q = /^["']/.test(text) && text.endsWith(text[0]) && text.length >= 2 ? text[0] : '';
  return { range: doc.range(start, end), newText: `${q}${value}${q}` };
}

/** A name is renamed together with every reference to it, so the file stays consistent. */
function renameAll(doc: ConfigDocument, start: number, end: number, to: string): TextEdit[] {
  const index = ConfigIndex.of(doc);
  const ref = index.at(start);
  if (!ref || ref.role !== 'decl' || ref.end !== end) return [replaceWord(doc, start, end, to)];
  return index.same(ref).map((r) => replaceWord(doc, r.start, r.end, to));
}

/** `df-01` → `df-02`, `df-03`, ... keeping the digits' width; `mlt` → `mlt-2`, ... */
export function freeName(taken: Iterable<string>, name: string): string {
  const used = new Set(taken);
  const numbered = /^(.*?)(\d+)$/.exec(name);
  const [stem, from, width] = numbered ? [numbered[1], Number(numbered[2]) + 1, numbered[2].length] : [`${name}-`, 2, 1];
  for (let i = from; ; i++) {
    const candidate = `${stem}${String(i).padStart(width, '0')}`;
    if (!used.has(candidate)) return candidate;
  }
}

function usedPorts(doc: ConfigDocument): Set<number> {
  const out = new Set<number>();
  for (const e of ConfigIndex.of(doc).entries) {
    const port = doc.node([...e.path, 'port']);
    if (isScalar(port) && typeof port.value === 'number') out.add(port.value);
  }
  return out;
}

/** The next port above `from` that no app of the file uses, wrapping to the unprivileged range. */
export function freePort(taken: ReadonlySet<number>, from: number): number | undefined {
  for (let p = Math.max(1, from + 1); p <= 65535; p++) if (!taken.has(p)) return p;
  for (let p = 1024; p < from; p++) if (!taken.has(p)) return p;
  return undefined;
}

/** Missing children run after the listed groups, so they are added as one last parallel group. */
function addToOrder(doc: ConfigDocument, keyStart: number, missing: string[]): Omit<QuickFix, 'diagnostic'> | undefined {
  const hit = doc.at(keyStart);
  const value = hit.part === 'key' ? (doc.resolve(hit.pair?.value) as YamlNode | null) : undefined;
  if (!isSeq(value) || !value.range || missing.length === 0) return undefined;
  const transition = String(hit.path[hit.path.length - 1]);
  const group = missing.length === 1 ? missing[0] : `[${missing.join(', ')}]`;
  const title = `Add ${missing.join(', ')} to the ${transition} order`;
  if (value.flow) {
    const close = doc.text.lastIndexOf(']', value.range[1]);
    if (close < value.range[0]) return undefined;
    const text = value.items.length ? `, ${group}` : group;
    return { title, edits: [{ range: doc.range(close, close), newText: text }], preferred: true };
  }
  const last = value.items[value.items.length - 1] as YamlNode | null;
  if (!last?.range) return undefined;
  const lastLine = doc.positionAt(last.range[1]).line;
  const firstLine = doc.positionAt(value.range[0]);
  const indent = doc.lineText(firstLine.line).slice(0, firstLine.character).replace(/\S/g, ' ');
  const eol = { line: lastLine, character: doc.lineText(lastLine).length };
  return { title, edits: [{ range: { start: eol, end: eol }, newText: `\n${indent}- ${group}` }], preferred: true };
}
