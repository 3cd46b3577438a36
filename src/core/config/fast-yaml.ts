import { Document, isScalar, LineCounter, Pair, Scalar, YAMLMap, YAMLSeq, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';

/**
 * A fast reader for the plain YAML that run configurations are written in, building the
 * same nodes the `yaml` library would (its own Scalar / YAMLMap / YAMLSeq / Pair classes,
 * with the same values, types, formats and ranges), several times faster.
 *
 * It reads one subset only: block mappings and sequences by indentation (`- key: v`
 * compact mappings included), single-line flow collections of scalars and flows, plain,
 * single- and double-quoted single-line scalars, comments, blank lines and a leading `---`.
 * Anything else, or anything it is not sure `yaml` reads the same way (anchors, aliases,
 * tags, block scalars, multi-line scalars, complex keys, tabs, directives, several
 * documents, any syntax error, duplicate keys, unusual comment placement...) gives
 * `undefined`, and the caller parses with `yaml` as before.
 *
 * Comments and blank lines are attached as `yaml` attaches them (`comment`, `commentBefore`,
 * `spaceBefore`, the document's `comment`), for the placements accepted here.
 * test/unit/config/fast-yaml.test.ts checks it differentially against `yaml`.
 */

/** Switch for tests (and a way out if ever needed): when false the caller always uses `yaml`. */
export const fastYaml = { enabled: true };

export interface FastParsed {
  doc: Document.Parsed;
  lines: LineCounter;
}

type Options = ParseOptions & DocumentOptions & SchemaOptions;

/** Characters that `yaml` treats specially, warns about, or that this reader does not handle. */
// eslint-disable-next-line no-control-regex
const UNHANDLED_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
/** A document marker (or something starting like one) at the start of a line. */
const DOC_MARKER = /^(?:---|\.\.\.)/gm;

const LF = 10;
const SP = 32;
const DQ = 34;
const HASH = 35;
const SQ = 39;
const COMMA = 44;
const DASH = 45;
const COLON = 58;
const LBR = 91;
const BSL = 92;
const RBR = 93;
const LBC = 123;
const RBC = 125;

const MAX_NESTING = 100;
/** yaml refuses implicit keys longer than 1024 characters; stay well clear. */
const MAX_KEY = 1000;

const BAIL = new Error('not handled by the fast YAML reader');
function bail(): never {
  throw BAIL;
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};

type Range3 = [number, number, number];
type Node = Scalar | YAMLMap | YAMLSeq;
interface ScalarTag {
  default?: boolean | 'key';
  test?: RegExp;
  format?: string;
  resolve: (value: string, onError: (message: string) => void, options: unknown) => unknown;
}

/** The document `yaml` would parse from `text`, or undefined when this reader does not handle it. */
export function fastParse(text: string, options: Options): FastParsed | undefined {
  if (!fastYaml.enabled || typeof text !== 'string' || UNHANDLED_CHARS.test(text)) return undefined;
  try {
    return new Reader(text, options).read();
  } catch {
    // BAIL, or anything unexpected: either way `yaml` decides.
    return undefined;
  }
}

class Reader {
  private readonly s: string;
  private readonly n: number;
  private readonly doc: Document.Parsed;
  private readonly schema: YAMLMap['schema'];
  private readonly tags: ScalarTag[];
  private readonly keyTags: ScalarTag[];
  /** Position after the last thing read. */
  private p = 0;
  /** The next content line, as found by seek(): its start and indentation, or eof. */
  private ls = 0;
  private col = 0;
  private eof = false;
  /** Whether the last seek() passed a comment line, a blank line. */
  private sawComment = false;
  private sawBlank = false;
  /** What the last seek() passed, as `yaml` attaches it to the node that follows. */
  private preComment: string[] | undefined;
  private preSpace = false;
  /** The comment ending the line of the last inline value, if any. */
  private lineComment: string | undefined;
  private depth = 0;

  constructor(text: string, options: Options) {
    this.s = text;
    this.n = text.length;
    this.doc = new Document(undefined, options) as unknown as Document.Parsed;
    this.schema = this.doc.schema;
    const all = (this.doc.schema as unknown as { tags: ScalarTag[] }).tags.filter((t) => !(t as { collection?: unknown }).collection && t.test);
    this.tags = all.filter((t) => t.default === true);
    this.keyTags = all.filter((t) => t.default === true || t.default === 'key');
  }

  read(): FastParsed {
    const { s, n } = this;
    this.seek(0);
    // Blank lines in the header, and comments around a `---`, go to the document in ways not reproduced here.
    if (this.sawBlank) bail();
    let start = -1;
    if (!this.eof && this.col === 0 && s.startsWith('---', this.ls)) {
      const after = this.ls + 3;
      if (after < n && s.charCodeAt(after) !== LF) bail();
      if (this.sawComment) bail();
      start = this.ls;
      this.doc.directives.docStart = true;
      this.seek(after < n ? after + 1 : n);
      if (this.sawComment || this.sawBlank) bail();
    }
    if (this.eof || this.col !== 0) bail();
    if (start < 0) start = this.ls;
    DOC_MARKER.lastIndex = this.ls;
    if (DOC_MARKER.test(s)) bail();
    const map = this.blockMap(0, this.ls, true);
    if (!this.eof) bail();
    if (this.preComment?.length) this.doc.comment = this.preComment.join('\n');
    this.doc.contents = map as Document.Parsed['contents'];
    this.doc.range = [start, (map.range as Range3)[2], n];
    const lines = new LineCounter();
    const starts = [0];
    for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) starts.push(i + 1);
    lines.lineStarts = starts;
    return { doc: this.doc, lines };
  }

  /**
   * Moves to the next line with content at or after line start `p`, over blank and
   * comment lines. A comment line is accepted only at the indentation of the content that
   * follows it (or at column 0 at the end): elsewhere `yaml` may count it into the range
   * of a collection that ends before it.
   */
  private seek(p: number): void {
    const { s, n } = this;
    let comments = false;
    let cmin = 0;
    let cmax = 0;
    let parts: string[] | undefined;
    let space = false;
    this.sawComment = this.sawBlank = false;
    for (;;) {
      let i = p;
      while (i < n && s.charCodeAt(i) === SP) i++;
      if (i >= n) {
        if (comments && cmax !== 0) bail();
        if (parts) while (parts.length && parts[parts.length - 1] === '') parts.pop();
        this.preComment = parts;
        this.preSpace = space;
        this.eof = true;
        this.ls = n;
        this.col = 0;
        return;
      }
      const c = s.charCodeAt(i);
      if (c === LF) {
        this.sawBlank = true;
        if (parts) parts.push('');
        else space = true;
        p = i + 1;
        continue;
      }
      if (c === HASH) {
        const col = i - p;
        if (!comments) {
          comments = this.sawComment = true;
          cmin = cmax = col;
        } else {
          if (col < cmin) cmin = col;
          if (col > cmax) cmax = col;
        }
        const nl = s.indexOf('\n', i);
        (parts ??= []).push(s.slice(i + 1, nl < 0 ? n : nl) || ' ');
        p = nl < 0 ? n : nl + 1;
        continue;
      }
      const col = i - p;
      if (comments && (cmin !== col || cmax !== col)) bail();
      this.preComment = parts;
      this.preSpace = space;
      this.ls = p;
      this.col = col;
      this.eof = false;
      return;
    }
  }

  private isSeqLine(): boolean {
    const at = this.ls + this.col;
    if (this.s.charCodeAt(at) !== DASH) return false;
    const next = this.s.charCodeAt(at + 1);
    return at + 1 >= this.n || next === SP || next === LF;
  }

  private blockNode(col: number): Node {
    return this.isSeqLine() ? this.blockSeq(col) : this.blockMap(col, this.ls + col, false);
  }

  /** Gives `node` what the last seek() passed over. */
  private attach(node: Node, comment: string[] | undefined, space: boolean): void {
    if (comment) node.commentBefore = comment.join('\n');
    if (space) node.spaceBefore = true;
  }

  /**
   * A block mapping whose keys are at column `col`; the first one at offset `first`. What
   * precedes the first key is its own when `firstKeyOwnsPrefix`, else the caller's.
   */
  private blockMap(col: number, first: number, firstKeyOwnsPrefix: boolean): YAMLMap {
    if (++this.depth > MAX_NESTING) bail();
    const { s, n } = this;
    const map = new YAMLMap(this.schema);
    const seen = new Set<string>();
    let p = first;
    let end = first;
    for (let i = 0; ; i++) {
      const pc = this.preComment;
      const ps = this.preSpace;
      const key = this.key(p);
      if (i > 0 || firstKeyOwnsPrefix) this.attach(key, pc, ps);
      const name = String(key.value);
      if (seen.has(name) || name === '<<') bail();
      seen.add(name);
      let q = this.p;
      let value: Node;
      if (q >= n || s.charCodeAt(q) === LF) {
        this.seek(q >= n ? n : q + 1);
        const vc = this.preComment;
        const vs = this.preSpace;
        if (!this.eof && this.col > col) this.attach((value = this.blockNode(this.col)), vc, vs);
        else if (!this.eof && this.col === col && this.isSeqLine()) this.attach((value = this.blockSeq(col)), vc, vs);
        else {
          // yaml places an empty value differently before comments and at the end.
          if (this.eof || this.sawComment) bail();
          value = new Scalar(null);
          value.range = [q, q, q];
          value.source = '';
          value.type = Scalar.PLAIN;
        }
      } else {
        // key() leaves p after a ':' followed by a space, a newline or the end.
        while (q < n && s.charCodeAt(q) === SP) q++;
        const c = s.charCodeAt(q);
        if (q >= n || c === LF || c === HASH) bail();
        value = this.inline(q);
      }
      map.items.push(new Pair(key, value));
      end = (value.range as Range3)[2];
      if (this.eof || this.col < col) break;
      if (this.col > col) bail();
      p = this.ls + col;
    }
    map.range = [first, end, end];
    this.depth--;
    return map;
  }

  /** A block sequence whose dashes are at column `col`, starting at the current line. */
  private blockSeq(col: number): YAMLSeq {
    if (++this.depth > MAX_NESTING) bail();
    const { s, n } = this;
    const seq = new YAMLSeq(this.schema);
    const start = this.ls + col;
    let end = start;
    for (let k = 0; ; k++) {
      const pc = this.preComment;
      const ps = this.preSpace;
      const dash = this.ls + col;
      if (s.charCodeAt(dash + 1) !== SP) bail();
      let q = dash + 2;
      while (q < n && s.charCodeAt(q) === SP) q++;
      const c = s.charCodeAt(q);
      if (q >= n || c === LF || c === HASH) bail();
      if (c === DASH) {
        const d = s.charCodeAt(q + 1);
        if (q + 1 >= n || d === SP || d === LF) bail();
      }
      let item: Node;
      if (c !== LBR && c !== LBC && this.keyEnd(q) >= 0) item = this.blockMap(q - this.ls, q, false);
      else item = this.inline(q);
      if (k > 0) this.attach(item, pc, ps);
      seq.items.push(item);
      end = (item.range as Range3)[2];
      if (this.eof || this.col < col) break;
      if (this.col > col) bail();
      if (!this.isSeqLine()) break;
    }
    seq.range = [start, end, end];
    this.depth--;
    return seq;
  }

  /** A value on the rest of a line (a scalar or a flow collection), then the line's end. */
  private inline(q: number): Node {
    const c = this.s.charCodeAt(q);
    let node: Node;
    if (c === LBR || c === LBC) node = this.flow(q, 0);
    else if (c === DQ || c === SQ) node = this.quoted(q);
    else node = this.plainBlock(q);
    this.lineComment = undefined;
    const e = this.lineEnd(this.p);
    (node.range as Range3)[2] = e;
    if (this.lineComment !== undefined) node.comment = this.lineComment;
    this.seek(e);
    return node;
  }

  /** After a value: spaces, maybe a comment, then the newline; the offset after it. */
  private lineEnd(p: number): number {
    const { s, n } = this;
    let i = p;
    while (i < n && s.charCodeAt(i) === SP) i++;
    if (i >= n) return n;
    const c = s.charCodeAt(i);
    if (c === LF) return i + 1;
    if (c === HASH && i > p) {
      const nl = s.indexOf('\n', i);
      this.lineComment = s.slice(i + 1, nl < 0 ? n : nl) || ' ';
      return nl < 0 ? n : nl + 1;
    }
    return bail();
  }

  /** Offset of the ':' ending an implicit key that starts at q, or -1 when the line holds none. */
  private keyEnd(q: number): number {
    const { s, n } = this;
    const c = s.charCodeAt(q);
    let i = q;
    if (c === DQ || c === SQ) {
      i++;
      for (;;) {
        if (i >= n) return -1;
        const d = s.charCodeAt(i);
        if (d === LF) return -1;
        if (c === DQ && d === BSL) i += 2;
        else if (d === c) {
          if (c === SQ && s.charCodeAt(i + 1) === SQ) i += 2;
          else break;
        } else i++;
      }
      i++;
      if (s.charCodeAt(i) !== COLON) return -1;
      const d = s.charCodeAt(i + 1);
      return i + 1 >= n || d === SP || d === LF ? i : -1;
    }
    for (;;) {
      if (i >= n) return -1;
      const d = s.charCodeAt(i);
      if (d === LF) return -1;
      if (d === COLON) {
        const e = s.charCodeAt(i + 1);
        if (i + 1 >= n || e === SP || e === LF) return i;
      } else if (d === HASH && i > q && s.charCodeAt(i - 1) === SP) return -1;
      i++;
    }
  }

  /** A block mapping key at p; leaves this.p after its ':'. */
  private key(p: number): Scalar {
    const ke = this.keyEnd(p);
    if (ke < 0 || ke - p > MAX_KEY) bail();
    const c = this.s.charCodeAt(p);
    let node: Scalar;
    if (c === DQ || c === SQ) {
      node = this.quoted(p);
      if (this.p !== ke) bail();
    } else {
      if (this.s.charCodeAt(ke - 1) === SP) bail();
      this.checkPlainStart(p, false);
      node = this.plain(this.s.slice(p, ke), true);
    }
    node.range = [p, ke, ke];
    this.p = ke + 1;
    return node;
  }

  private checkPlainStart(p: number, flow: boolean): void {
    const { s, n } = this;
    const c = s.charCodeAt(p);
    switch (c) {
      case COMMA: case LBR: case RBR: case LBC: case RBC: case HASH: case DQ: case SQ:
      case 0x26: case 0x2a: case 0x21: case 0x7c: case 0x3e: case 0x25: case 0x40: case 0x60: // & * ! | > % @ `
      case SP: case LF:
        bail();
        break;
      case DASH: case COLON: case 0x3f: { // - : ?
        const d = s.charCodeAt(p + 1);
        if (p + 1 >= n || d === SP || d === LF) bail();
        if (flow && (d === COMMA || d === LBR || d === RBR || d === LBC || d === RBC)) bail();
        if (c !== DASH) bail();
        break;
      }
      default:
    }
  }

  /** A plain scalar value in block context starting at q; this.p is left at its end. */
  private plainBlock(q: number): Scalar {
    const { s, n } = this;
    this.checkPlainStart(q, false);
    let i = q;
    for (; i < n; i++) {
      const d = s.charCodeAt(i);
      if (d === LF) break;
      if (d === HASH && s.charCodeAt(i - 1) === SP) break;
      if (d === COLON) {
        const e = s.charCodeAt(i + 1);
        if (i + 1 >= n || e === SP || e === LF) bail();
      }
    }
    let e = i;
    while (s.charCodeAt(e - 1) === SP) e--;
    const node = this.plain(s.slice(q, e), false);
    node.range = [q, e, e];
    this.p = e;
    return node;
  }

  /** A plain scalar in a flow collection; this.p is left after its trailing spaces. */
  private plainFlow(q: number, atKey: boolean): Scalar {
    const { s, n } = this;
    this.checkPlainStart(q, true);
    let i = q;
    for (;;) {
      if (i >= n) bail();
      const d = s.charCodeAt(i);
      if (d === COMMA || d === LBR || d === RBR || d === LBC || d === RBC) break;
      if (d === LF) bail();
      if (d === HASH && s.charCodeAt(i - 1) === SP) bail();
      if (d === COLON) {
        if (s.charCodeAt(i + 1) === SP) break;
        bail();
      }
      i++;
    }
    let e = i;
    while (s.charCodeAt(e - 1) === SP) e--;
    const node = this.plain(s.slice(q, e), atKey);
    node.range = [q, e, i];
    this.p = i;
    return node;
  }

  /** A plain scalar's node, typed by the document's schema exactly as `yaml` does. */
  private plain(raw: string, atKey: boolean): Scalar {
    let tag: ScalarTag | undefined;
    const c = raw.charCodeAt(0);
    // Every tag of the core schema other than str matches only text starting with one of these.
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === DASH || c === 0x2e || c === 0x7e || c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46) {
      for (const t of atKey ? this.keyTags : this.tags) {
        if (t.test!.test(raw)) {
          tag = t;
          break;
        }
      }
    }
    let node: Scalar;
    if (tag) {
      const res = tag.resolve(raw, () => bail(), this.doc.options);
      node = isScalar(res) ? (res as Scalar) : new Scalar(res);
    } else node = new Scalar(raw);
    node.source = raw;
    node.type = Scalar.PLAIN;
    if (tag?.format) node.format = tag.format;
    return node;
  }

  /** A single-line quoted scalar at q; this.p is left after the closing quote. */
  private quoted(q: number): Scalar {
    const { s, n } = this;
    const quote = s.charCodeAt(q);
    let out = '';
    let seg = q + 1;
    let i = q + 1;
    for (;;) {
      if (i >= n) bail();
      const d = s.charCodeAt(i);
      if (d === LF) bail();
      if (d === quote) {
        if (quote === SQ && s.charCodeAt(i + 1) === SQ) {
          out += s.slice(seg, i + 1);
          i += 2;
          seg = i;
          continue;
        }
        break;
      }
      if (d === BSL && quote === DQ) {
        out += s.slice(seg, i);
        const e = s[i + 1];
        if (e === 'x' || e === 'u' || e === 'U') {
          const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = s.substr(i + 2, len);
          if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) bail();
          const code = parseInt(hex, 16);
          if (code > 0x10ffff) bail();
          out += String.fromCodePoint(code);
          i += 2 + len;
        } else {
          const r = e === undefined ? undefined : ESCAPES[e];
          if (r === undefined || !Object.prototype.hasOwnProperty.call(ESCAPES, e)) bail();
          out += r;
          i += 2;
        }
        seg = i;
        continue;
      }
      i++;
    }
    out += s.slice(seg, i);
    const node = new Scalar(out);
    node.range = [q, i + 1, i + 1];
    node.source = out;
    node.type = quote === DQ ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE;
    this.p = i + 1;
    return node;
  }

  /** A flow collection on one line at q; this.p is left after its closing bracket. */
  private flow(q: number, depth: number): YAMLMap | YAMLSeq {
    if (depth > MAX_NESTING) bail();
    const { s, n } = this;
    const isMap = s.charCodeAt(q) === LBC;
    const close = isMap ? RBC : RBR;
    const coll = isMap ? new YAMLMap(this.schema) : new YAMLSeq(this.schema);
    coll.flow = true;
    const seen = isMap ? new Set<string>() : undefined;
    let i = q + 1;
    while (i < n && s.charCodeAt(i) === SP) i++;
    if (s.charCodeAt(i) !== close) {
      for (;;) {
        if (isMap) {
          const c = s.charCodeAt(i);
          let key: Scalar;
          if (c === DQ || c === SQ) {
            key = this.quoted(i);
          } else {
            key = this.plainFlow(i, true);
            if ((key.range as Range3)[1] !== this.p) bail();
          }
          if (s.charCodeAt(this.p) !== COLON || s.charCodeAt(this.p + 1) !== SP) bail();
          const name = String(key.value);
          if (seen!.has(name) || name === '<<') bail();
          seen!.add(name);
          let v = this.p + 2;
          while (v < n && s.charCodeAt(v) === SP) v++;
          const value = this.flowItem(v, depth);
          (coll as YAMLMap).items.push(new Pair(key, value));
        } else {
          (coll as YAMLSeq).items.push(this.flowItem(i, depth));
        }
        const c = s.charCodeAt(this.p);
        if (c === close) break;
        if (c !== COMMA) bail();
        i = this.p + 1;
        while (i < n && s.charCodeAt(i) === SP) i++;
        if (s.charCodeAt(i) === close) bail();
      }
      i = this.p;
    }
    coll.range = [q, i + 1, i + 1];
    this.p = i + 1;
    return coll;
  }

  /** A value inside a flow collection; this.p is left after it and its trailing spaces. */
  private flowItem(i: number, depth: number): Node {
    const { s, n } = this;
    const c = s.charCodeAt(i);
    if (c === LBR || c === LBC || c === DQ || c === SQ) {
      const node = c === DQ || c === SQ ? this.quoted(i) : this.flow(i, depth + 1);
      let e = this.p;
      while (e < n && s.charCodeAt(e) === SP) e++;
      (node.range as Range3)[2] = e;
      this.p = e;
      return node;
    }
    const node = this.plainFlow(i, false);
    if (s.charCodeAt(this.p) === COLON) bail();
    return node;
  }
}
