import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { DIAGNOSTIC_CODES, type BatonDiagnostic, type DiagnosticCode } from './diagnostic';
import { schemaDiagnostics } from './schema-check';
import { semanticDiagnostics } from './semantic-checks';
import { YamlIndex } from './yaml-positions';

export type { BatonDiagnostic, DiagnosticCode, Position, Range, Severity } from './diagnostic';
export { DIAGNOSTIC_CODES } from './diagnostic';

export interface ValidateOptions {
  /** Used in messages only; the validator never touches the file system. */
  file?: string;
  /** The environment `getenv` values are checked against; no check when absent. */
  env?: NodeJS.ProcessEnv;
  /** Nodes available to the kubernetes backend; enables the anti-affinity check. */
  nodeCount?: number;
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
  const deepAt = flowDepthExceeded(text, MAX_FLOW_DEPTH);
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
  const lines = new LineCounter();
  let docs: Document.Parsed[];
  try {
    // logLevel error: yaml would otherwise print its warnings with process.emitWarning.
    docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, logLevel: 'error' }) as Document.Parsed[];
  } catch (err) {
    if (err instanceof RangeError) return only([{ code: 'too-deep', severity: 'error', message: 'the document is nested too deeply to be read', range: zero }]);
    return only([internal(err)]);
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
  if (depthExceeds(data, MAX_DEPTH)) return only([...yamlDiags, make('too-deep', `the document is nested more than ${MAX_DEPTH} levels deep; it is not checked further`, index.top())]);

  const rest: BatonDiagnostic[] = [];
  try {
    rest.push(...schemaDiagnostics(data, index));
  } catch (err) {
    rest.push(internal(err));
  }
  try {
    rest.push(...semanticDiagnostics(data, index, { env: opts.env, nodeCount: opts.nodeCount, schemaErrorFields: rest.map((d) => d.field ?? '') }));
  } catch (err) {
    rest.push(internal(err));
  }
  rest.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { diagnostics: [...yamlDiags, ...rest], data, index };
}

function make(code: DiagnosticCode, message: string, range: BatonDiagnostic['range']): BatonDiagnostic {
  return { code, severity: DIAGNOSTIC_CODES[code], message, range };
}

function internal(err: unknown): BatonDiagnostic {
  const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return { code: 'internal-error', severity: 'error', message: `internal error in the validator (please report): ${err instanceof Error ? err.message : String(err)}`, range: zero };
}

/** Offset of the bracket that first exceeds `max` levels of [ / { nesting, or -1. */
function flowDepthExceeded(text: string, max: number): number {
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
