import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { transformSync } from 'esbuild';
import { isPair, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { fastParse, fastYaml } from '../../../src/core/config/fast-yaml';
import { validateRunConfig } from '../../../src/core/config/validate';
import { seededRandom } from '../../support/seeded-random';

// Differential test of the fast YAML reader: whenever it accepts a text, what it builds
// must be what `yaml` builds (values, types, formats, every range, the data, the line
// index), and the validator must give byte-identical diagnostics with and without it.

const ROOT = path.join(__dirname, '../../..');
const OPTIONS = { uniqueKeys: true, prettyErrors: false, logLevel: 'error' } as const;
const ENV = { PATH: '/usr/bin', LOG_LEVEL: 'debug' };
const FUZZ_INPUTS = 3200;

function filesUnder(dir: string, ext: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, ext));
    else if (ext.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** The bench's own generator, taken from bench/validate.ts (which runs the bench when imported). */
function benchGenerator(): (apps: number) => string {
  const src = fs.readFileSync(path.join(ROOT, 'bench/validate.ts'), 'utf8');
  const from = src.indexOf('function generateConfig(');
  const to = src.indexOf('\n}\n', from);
  assert.ok(from >= 0 && to > from, 'generateConfig not found in bench/validate.ts');
  const js = transformSync(src.slice(from, to + 2), { loader: 'ts' }).code;
  return new Function(`${js}\nreturn generateConfig;`)() as (apps: number) => string;
}

type AnyNode = { range?: number[]; items?: unknown[]; value?: unknown; [k: string]: unknown };

/** Undefined when the fast reader's document is `yaml`'s; otherwise where they differ. */
function difference(text: string, fast: NonNullable<ReturnType<typeof fastParse>>): string | undefined {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { ...OPTIONS, lineCounter: lines }) as Document.Parsed[];
  if (docs.length !== 1) return `yaml reads ${docs.length} documents`;
  const doc = docs[0];
  if (doc.errors.length || doc.warnings.length) return `yaml reports ${[...doc.errors, ...doc.warnings].map((e) => e.code).join(', ')}`;
  if (!isDeepStrictEqual(doc.range, fast.doc.range)) return `document range ${String(doc.range)} vs ${String(fast.doc.range)}`;
  for (const k of ['comment', 'commentBefore'] as const) if (doc[k] !== fast.doc[k]) return `document ${k} ${JSON.stringify(doc[k])} vs ${JSON.stringify(fast.doc[k])}`;
  if (doc.directives.docStart !== fast.doc.directives.docStart) return 'document start marker';
  const walk = (a: AnyNode, b: AnyNode, at: string): string | undefined => {
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${at}: class`;
    if (!isDeepStrictEqual(a.range, b.range)) return `${at}: range ${String(a.range)} vs ${String(b.range)}`;
    for (const k of ['type', 'source', 'format', 'minFractionDigits', 'flow', 'tag', 'anchor', 'comment', 'commentBefore', 'spaceBefore']) {
      if (!Object.is(a[k], b[k])) return `${at}: ${k} ${String(a[k])} vs ${String(b[k])}`;
    }
    if (isScalar(a)) return Object.is(a.value, b.value) ? undefined : `${at}: value ${String(a.value)} vs ${String(b.value)}`;
    if (!a.items || !b.items || a.items.length !== b.items.length) return `${at}: items`;
    for (let i = 0; i < a.items.length; i++) {
      const x = a.items[i] as AnyNode;
      const y = b.items[i] as AnyNode;
      const d = isPair(x) ? (walk(x.key as AnyNode, (y as { key: AnyNode }).key, `${at}.key${i}`) ?? walk(x.value as AnyNode, (y as { value: AnyNode }).value, `${at}.value${i}`)) : walk(x, y, `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  };
  const d = walk(doc.contents as unknown as AnyNode, fast.doc.contents as unknown as AnyNode, '$');
  if (d) return d;
  if (!isDeepStrictEqual(doc.toJS(), fast.doc.toJS())) return 'toJS';
  if (!isDeepStrictEqual(lines.lineStarts, fast.lines.lineStarts)) return 'line starts';
  return undefined;
}

/**
 * The validator keeps recent parses and reuses them for texts a small edit away; flooding
 * that cache with unrelated (clean) texts makes the next call parse from scratch.
 */
function flushParseCache(length: number): void {
  for (let k = 0; k < 5; k++) validateRunConfig(`filler${k}: ${'x'.repeat(length + 600 + 300 * k)}\n`);
}

function diagnostics(text: string, fast: boolean): string {
  flushParseCache(text.length);
  fastYaml.enabled = fast;
  try {
    return JSON.stringify(validateRunConfig(text, { file: 'x.baton.yaml', env: ENV, nodeCount: 3 }));
  } finally {
    fastYaml.enabled = true;
  }
}

/** Checks one text; true when the fast reader accepted it. */
function check(text: string, label: string): boolean {
  const fast = fastParse(text, { ...OPTIONS });
  if (!fast) return false;
  const d = difference(text, fast);
  assert.equal(d, undefined, `${label}: the fast reader differs from yaml: ${d}\n---\n${text}\n---`);
  assert.equal(diagnostics(text, true), diagnostics(text, false), `${label}: diagnostics differ\n---\n${text}\n---`);
  return true;
}

const rng = seededRandom;

const EDGE_CASES: string[] = [
  'a: 1\n',
  'a: 1',
  '---\na: 1\n',
  '# c\n---\n# d\na: 1\n# end\n',
  '\n\n# x\nkey: v\nlist:\n- a\n- b\n-   c: 1\n    d: 2\nnext: 3\n',
  'a:\n  b: 1\n# c\nd: 2\n',
  'a:\n  b: 1\n  # c\nd: 2\n',
  'a:\n  b:\n    c: 1\n  # comment\n  d: 2\n',
  'a:\n  # c\n  b: 1\n',
  'a: # c\n  b: 1\n',
  'a:\n  b:\nc: 1\n',
  'a:\n  b:\n',
  'a:\n',
  'a:',
  'a:   \nb: 1\n',
  'a: b  # c\nc: "d"#e\n',
  'a: {}\nb: []\nc: [ ]\nd: { }\n',
  'e: [a , b ,c]\nf: {k : v}\ng: {k: v , l: w }\nh: [[a] , [b ], {c: d} ]\n',
  'a: [a, b,]\n',
  'a: {a, b}\n',
  'a: [a: b]\n',
  'a: {a: b, a: c}\n',
  'a: 1\na: 2\n',
  'a: 1\n"a": 2\n',
  '1: a\n"1": b\n',
  'a: [1, 0x1F, 0o17, -0, +12, 1.50, .5, 1e3, -1.2E-3, .inf, -.Inf, .NaN, ~, null, Null, NULL, true, True, FALSE, yes, no, on, 012, 0b1, 1_000, 1:2]\n',
  'a: 0x\nb: 0o8\nc: 1.\nd: .\ne: -.inf\nf: +.inf\ng: .nan\nh: 12:30\ni: 2026-01-01\nj: "true"\nk: \'1\'\n',
  'a: "esc \\0 \\a \\b \\t \\n \\v \\f \\r \\e \\  \\" \\/ \\\\ \\N \\_ \\L \\P \\x41 \\u00e9 \\U0001F600"\n',
  'a: "bad \\q"\n',
  'a: "\\x4"\n',
  'a: "\\U00110000"\n',
  "a: 'it''s' \nb: ''\nc: \"\"\n",
  'a: "multi\n  line"\n',
  'a: multi\n  line\n',
  'a: &x 1\nb: *x\n',
  'a: !!str 1\n',
  'a: |\n  text\n',
  'a: >\n  text\n',
  '? a\n: b\n',
  'a:\n\t- b\n',
  '%YAML 1.2\n---\na: 1\n',
  'a: 1\n---\nb: 2\n',
  'a: 1\n...\n',
  'a: b: c\n',
  'a: - b\n',
  'a:\n- b\n- c: d\n  e: f\n-  g\nh: i\n',
  'a:\n  - b\n  -\n    c\n',
  'a:\n  - - b\n',
  'a:\n  -\n',
  '- a\n- b\n',
  'just a scalar\n',
  '  a: 1\n  b: 2\n',
  'a: 1\n b: 2\n',
  'a:\n    b: 1\n  c: 2\n',
  'a: rest://{host}:{port}\nb: x,y\nc: a[0]\nd: -c\ne: --name\nf: -1\ng: a#b\nh: a #b\n',
  'a[0]: 1\nb{}: 2\n"k k": 3\n\'q\': 4\nk k: 5\n',
  'a : 1\n',
  '"a" : 1\n',
  '<<: {a: 1}\n',
  'a: [-, b]\nc: [-x, ?y]\n',
  'a: {b: [c, {d: e}], f: "g,h", i: \'j]k\'}\n',
  'a: [a:b]\n',
  'a: {a:b}\n',
  'a: [a #c]\n',
  'a: [\n  b]\n',
  'a: 1\r\nb: 2\r\n',
  '\ufeffa: 1\n',
  'a: \u2028\n',
  'a: 1\n   \n  \nb: 2\n   ',
  'a:\n  b: 1\n\n  # c\n\nd: 2\n',
  'a:\n  - b\n\n  # c\n  - d\n',
  'a:\n  - {b: c}\n  - [d]\n  - "e"\n  - \'f\'\n',
  'apiVersion: baton.dev/v1alpha1\nkind: RunConfig\nmetadata: {name: x}\nspec: {}\n',
  'a: @b\nc: `d`\n',
  'a: %b\n',
  'a: x\n#c\n',
  'a: x\n  #c\n',
  'a: 1 #  c  \nb: 2 #\n',
  '- x\n\n- k: 1\n  l: 2\n\n- [y]\n# c\n- {z: 1}\n',
  'a:\n  - k: 1\n\n    # c\n    l: 2\n',
  'a:\n\nb: 1\n',
  'a:\n  b:\n\n  c: 1\n',
  '# h\na: 1\n',
  '# h\n#\n# x\na: 1\n',
  '# h\n\na: 1\n',
  '\n# h\na: 1\n',
  '# h\n---\na: 1\n',
  '---\n# h\na: 1\n',
  'a:\n  b: 1\n# e\n',
  'a: 1\n# e\n#\n# f\n',
  'a: 1\n# e\n\n\n# f\n\n',
  'a: 1\n# c\n\nb: 2\n',
  'a: 1\n# c\n\n\n# d\n\n\nb: 2\n',
  'a:\n  # c\n\n  b: 1\n',
  'a:\n  b: 1 # x\n  # c\n  d: 1\n',
  'a: 1\n   \n# c\n  \nb: 2\n',
  'a: [1] #\n#\nb: 2\n',
  'a:\n  # c\n  - x\n',
  'a:\n\n  - x\n',
  'a:\n# c\nb: 1\n',
  'a:\n\n\n  b:\n    - x # c\n\n    # d\n    - {y: 1} # e\n  # f\n  c: 2\n# g\n',
  `a: ${'x'.repeat(2000)}\n`,
  `${'k'.repeat(1100)}: 1\n`,
  `a: ${'['.repeat(150)}${']'.repeat(150)}\n`,
];

describe('fast YAML reader', function () {
  this.timeout(300_000);

  it('is used for the examples, and they read exactly as with yaml', () => {
    const files = filesUnder(path.join(ROOT, 'examples'), /\.ya?ml$/);
    assert.ok(files.length > 0);
    for (const f of files) assert.ok(check(fs.readFileSync(f, 'utf8'), f), `${f} is not read by the fast reader`);
  });

  it('agrees with yaml on the test fixtures', () => {
    for (const f of filesUnder(path.join(ROOT, 'test'), /\.ya?ml$/)) check(fs.readFileSync(f, 'utf8'), f);
  });

  it("is used for the bench's generated configurations, and they read exactly as with yaml", () => {
    const generate = benchGenerator();
    for (const apps of [10, 100]) assert.ok(check(generate(apps), `bench ${apps}`), `the bench configuration (${apps} apps) is not read by the fast reader`);
  });

  it('agrees with yaml on edge cases, and refuses what it does not handle', () => {
    let accepted = 0;
    for (const [i, text] of EDGE_CASES.entries()) if (check(text, `edge case ${i}`)) accepted++;
    assert.ok(accepted > 10);
    for (const text of ['a: &x 1\nb: *x\n', 'a: |\n  text\n', 'a: 1\na: 2\n', 'a: 1\n---\nb: 2\n', '? a\n: b\n', 'a:\n\t- b\n', 'a: "multi\n  line"\n', 'a: !!str 1\n']) {
      assert.equal(fastParse(text, { ...OPTIONS }), undefined, JSON.stringify(text));
    }
  });

  it('agrees with yaml on mutated configurations (seeded fuzz)', () => {
    const generate = benchGenerator();
    const bases = [fs.readFileSync(path.join(ROOT, 'examples/demo.baton.yaml'), 'utf8'), generate(10), ...EDGE_CASES.filter((t) => t.length > 30 && fastParse(t, { ...OPTIONS }))];
    const alphabet = [' ', ' ', '  ', '\n', '\n', '#', '# c', '-', '- ', ':', ': ', "'", '"', '[', ']', '{', '}', ',', ', ', '\\', '\\n', 'a', '0', '1', '.', '&', '*', '!', '|', '>', '?', '%', '\t', '~', 'x: y', '---', '0x1', '1.0', 'null', 'true', '\r'];
    const r = rng(Number(process.env.FAST_YAML_FUZZ_SEED ?? 20261126));
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
    let accepted = 0;
    for (let n = 0; n < FUZZ_INPUTS; n++) {
      let text = pick(bases);
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) {
        const ls = text.split('\n');
        const at = Math.floor(r() * (text.length + 1));
        const line = Math.floor(r() * ls.length);
        switch (Math.floor(r() * 8)) {
          case 0:
            text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 3));
            break;
          case 1:
          case 2:
            text = text.slice(0, at) + pick(alphabet) + text.slice(at);
            break;
          case 3:
            ls.splice(line, 1);
            text = ls.join('\n');
            break;
          case 4:
            ls.splice(line, 0, ls[Math.floor(r() * ls.length)]);
            text = ls.join('\n');
            break;
          case 5:
            ls[line] = r() < 0.5 ? ` ${ls[line]}` : ls[line].replace(/^ {1,2}/, '');
            text = ls.join('\n');
            break;
          case 6:
            ls.splice(line, 0, pick(['', '# c', '  # c', '    # c', '   ', '---', '- x', '  - y', 'k: v', '  k: v']));
            text = ls.join('\n');
            break;
          default:
            text = text.slice(0, at) + pick(alphabet) + text.slice(at + 1);
        }
      }
      if (check(text, `fuzz input ${n}`)) accepted++;
    }
    // Most mutations keep the text in the subset: the test must exercise the reader.
    if (process.env.FAST_YAML_FUZZ_SEED) console.log(`fuzz: ${accepted} of ${FUZZ_INPUTS} read`);
    assert.ok(accepted > FUZZ_INPUTS / 5, `only ${accepted} of ${FUZZ_INPUTS} mutated texts were read`);
  });
});
