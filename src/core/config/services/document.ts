import { fastParse } from '../fast-yaml';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, Scalar, type Document, type Node as YamlNode, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Position, Range } from '../diagnostic';
import { flowDepthExceeded, MAX_ALIAS_COUNT, MAX_DEPTH, MAX_FLOW_DEPTH, MAX_TEXT_LENGTH } from '../validate';
import type { PathSegment } from '../yaml-positions';

export type { PathSegment } from '../yaml-positions';

/** What lies under an offset: a key, a scalar value, or the inside of a collection between its entries. */
export interface Hit {
  path: PathSegment[];
  part: 'key' | 'value' | 'inside';
  node: YamlNode | null;
  /** The pair whose key or value was hit, for callers that need its other half. */
  pair?: Pair;
}

type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One version of a run configuration as the editor services see it: the text, the first
 * YAML document's syntax tree (kept even when it has errors, since a file being typed
 * is rarely valid) and position arithmetic. Built once per version and shared by every
 * request on that version.
 */
export class ConfigDocument {
  /** Offset at which each line starts; LSP lines end at \n (a \r before it is not content). */
  private readonly lineStarts: number[];
  private dataCache: { value: unknown } | undefined;

  private constructor(
    readonly text: string,
    /** Absent when the text is too large or too deeply nested to parse safely. */
    readonly doc: Document.Parsed | undefined,
  ) {
    this.lineStarts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  static parse(text: string): ConfigDocument {
    // The same guards as the validator: yaml is not safe on such input, and an editor
    // request must stay bounded whatever is typed.
    if (typeof text !== 'string') text = String(text);
    if (text.length > MAX_TEXT_LENGTH || flowDepthExceeded(text, MAX_FLOW_DEPTH) >= 0) return new ConfigDocument(text, undefined);
    try {
      const options = { lineCounter: new LineCounter(), uniqueKeys: false, prettyErrors: false, logLevel: 'silent' } as const;
      // The fast reader yields the very nodes yaml would (a differential test holds it to
      // that) and refuses anything unusual, duplicate keys included, so yaml still decides those.
      const fast = fastParse(text, options);
      if (fast) return new ConfigDocument(text, fast.doc);
      const docs = parseAllDocuments(text, options) as Document.Parsed[];
      // Text with no document at all (empty, or only comments) is still a file to type into.
      return new ConfigDocument(text, docs[0] ?? (parseDocument(text, options) as Document.Parsed));
    } catch {
      return new ConfigDocument(text, undefined);
    }
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  lineText(line: number): string {
    const start = this.lineStarts[line];
    const next = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] - 1 : this.text.length;
    const raw = this.text.slice(start, next);
    return raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  }

  /** Undefined for positions outside the text: services answer those with nothing. */
  offsetAt(pos: Position | undefined): number | undefined {
    if (!pos || !Number.isInteger(pos.line) || !Number.isInteger(pos.character)) return undefined;
    if (pos.line < 0 || pos.line >= this.lineStarts.length || pos.character < 0) return undefined;
    if (pos.character > this.lineText(pos.line).length) return undefined;
    return this.lineStarts[pos.line] + pos.character;
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.lineStarts[lo] };
  }

  range(start: number, end: number): Range {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }

  /** The first document as plain data; undefined when it cannot be expanded. */
  get data(): unknown {
    if (!this.dataCache) {
      let value: unknown;
      try {
        value = this.doc?.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch {
        value = undefined;
      }
      this.dataCache = { value };
    }
    return this.dataCache.value;
  }

  resolve(node: unknown): unknown {
    if (isAlias(node) && this.doc) {
      try {
        return node.resolve(this.doc);
      } catch {
        return undefined;
      }
    }
    return node;
  }

  /** The node at a data path (aliases followed). */
  node(path: readonly PathSegment[]): YamlNode | undefined {
    let node: unknown = this.doc?.contents;
    for (const part of path) {
      node = this.resolve(node);
      if (isMap(node)) node = pairOf(node, String(part))?.value;
      else if (isSeq(node) && typeof part === 'number') node = node.items[part];
      else return undefined;
    }
    return (this.resolve(node) ?? undefined) as YamlNode | undefined;
  }

  /**
   * The innermost key, scalar or collection under `offset`. A scalar's end counts as inside
   * it, so a cursor just after a word being typed still finds the word.
   */
  at(offset: number): Hit {
    let node: unknown = this.doc?.contents ?? null;
    const path: PathSegment[] = [];
    for (let depth = 0; depth <= MAX_DEPTH; depth++) {
      if (isMap(node)) {
        let next: YamlNode | undefined;
        // Backwards: a block value's range ends where the next key begins, and the later
        // entry is the one that starts there.
        for (let i = node.items.length - 1; i >= 0; i--) {
          const pair = node.items[i];
          const name = keyName(pair.key);
          if (contains(pair.key, offset)) return { path: [...path, name], part: 'key', node: pair.key as YamlNode, pair };
          if (contains(pair.value, offset)) {
            path.push(name);
            next = pair.value as YamlNode;
            if (isScalar(next)) return { path, part: 'value', node: next, pair };
            break;
          }
        }
        if (!next) return { path, part: 'inside', node: node as YamlNode };
        node = next;
      } else if (isSeq(node)) {
        const i = node.items.findLastIndex((item) => contains(item, offset));
        if (i < 0) return { path, part: 'inside', node: node as YamlNode };
        path.push(i);
        node = node.items[i];
        if (isScalar(node)) return { path, part: 'value', node: node as YamlNode };
      } else if (isScalar(node)) {
        return { path, part: 'value', node: node as YamlNode };
      } else {
        return { path, part: 'inside', node: (node ?? null) as YamlNode | null };
      }
    }
    return { path, part: 'inside', node: null };
  }
}

function contains(node: unknown, offset: number): boolean {
  const r = (node as YamlNode | null)?.range;
  return !!r && r[0] <= offset && offset <= r[1];
}

export function keyName(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return '';
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  // toJS keeps the last of duplicated keys, so that is the one references resolve to.
  for (let i = map.items.length - 1; i >= 0; i--) if (keyName(map.items[i].key) === key) return map.items[i];
  return undefined;
}

export function scalarText(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

/** Items of a sequence node, or nothing for anything else. */
export function seqItems(node: unknown): unknown[] {
  return isSeq(node) ? (node as YAMLSeq).items : [];
}

export function mapPairs(node: unknown): Pair[] {
  return isMap(node) ? (node as YAMLMap).items.filter((p) => isPair(p)) : [];
}

export function isQuoted(node: unknown): boolean {
  return isScalar(node) && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE);
}
