import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode, type ParsedNode } from 'yaml';
import type { Range } from './diagnostic';

export type PathSegment = string | number;

/** `['spec', 'segments', 0, 'name']` → `spec.segments[0].name`. */
export function fieldOf(path: readonly PathSegment[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

export interface Located {
  /** The key of a mapping entry, or the whole item of a list entry. */
  key: Range;
  /** The value, or the key when the value is empty. */
  value: Range;
  /** False when the path left the document and these are the ranges of its nearest ancestor. */
  exact: boolean;
}

/**
 * Maps data paths (as ajv and the semantic checks see them) back to ranges of one YAML
 * document, so every diagnostic points at the text the user has to change.
 */
export class YamlIndex {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly textLength: number,
  ) {}

  range(start: number, end: number): Range {
    const s = Math.max(0, Math.min(start, this.textLength));
    const e = Math.max(s, Math.min(end, this.textLength));
    const a = this.lines.linePos(s);
    const b = this.lines.linePos(e);
    return { start: { line: a.line - 1, character: a.col - 1 }, end: { line: b.line - 1, character: b.col - 1 } };
  }

  nodeRange(node: YamlNode | null | undefined): Range | undefined {
    const r = node?.range;
    return r ? this.range(r[0], r[1]) : undefined;
  }

  /** Where the document starts: used for problems of the document as a whole. */
  top(): Range {
    const contents = this.doc.contents as ParsedNode | null;
    if (isMap(contents) && contents.items.length > 0) {
      const first = contents.items[0].key as YamlNode | null;
      const r = this.nodeRange(first);
      if (r) return r;
    }
    const r = contents?.range;
    if (r) return this.range(r[0], Math.min(r[1], r[0] + 1));
    return this.range(0, 0);
  }

  locate(path: readonly PathSegment[]): Located {
    let node: unknown = this.doc.contents;
    const top = this.top();
    let found: Located = { key: top, value: this.nodeRange(node as YamlNode) ?? top, exact: true };
    for (const part of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      let next: unknown;
      if (isMap(node)) {
        // The last pair wins in toJS, so a duplicated key is located at its effective copy.
        const pair = findLast(node.items, (p) => keyText(p.key) === String(part));
        if (!pair) return { ...found, exact: false };
        const key = this.nodeRange(pair.key as YamlNode) ?? found.key;
        found = { key, value: this.nodeRange(pair.value as YamlNode) ?? key, exact: true };
        next = pair.value;
      } else if (isSeq(node) && typeof part === 'number') {
        next = node.items[part];
        const r = this.nodeRange(next as YamlNode);
        if (!r) return { ...found, exact: false };
        found = { key: r, value: r, exact: true };
      } else {
        return { ...found, exact: false };
      }
      node = next;
    }
    return found;
  }

  /** The YAML node at a path (aliases resolved), for checks that need the text's own shape. */
  node(path: readonly PathSegment[]): YamlNode | undefined {
    let node: unknown = this.doc.contents;
    for (const part of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) node = findLast(node.items, (p) => keyText(p.key) === String(part))?.value;
      else if (isSeq(node) && typeof part === 'number') node = node.items[part];
      else return undefined;
    }
    return (node ?? undefined) as YamlNode | undefined;
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function findLast<T>(items: T[], pred: (t: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i])) return items[i];
  return undefined;
}
