import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIAGNOSTIC_CODES, validateRunConfig, type BatonDiagnostic } from '../../../src/core/config/validate';
import { seededRandom } from '../../support/seeded-random';

const DEMO = fs.readFileSync(path.join(__dirname, '../../../examples/demo.baton.yaml'), 'utf8');
const INPUTS = 3000;
/** A hang guard, not a performance assertion: far above the few ms an input takes. */
const PER_INPUT_BUDGET_MS = 5000;

const rng = seededRandom;

type Mutation = (text: string, r: () => number) => string;
const int = (r: () => number, n: number) => Math.floor(r() * n);
const lines = (t: string) => t.split('\n');

const MUTATIONS: Record<string, Mutation> = {
  truncate: (t, r) => t.slice(0, int(r, t.length)),
  dropLine: (t, r) => {
    const ls = lines(t);
    ls.splice(int(r, ls.length), 1);
    return ls.join('\n');
  },
  indent: (t, r) => {
    const ls = lines(t);
    const i = int(r, ls.length);
    ls[i] = r() < 0.5 ? ` ${ls[i]}` : ls[i].replace(/^ {1,2}/, '');
    return ls.join('\n');
  },
  tabs: (t, r) => {
    const ls = lines(t);
    const i = int(r, ls.length);
    ls[i] = ls[i].replace(/^ +/, '\t');
    return ls.join('\n');
  },
  randomBytes: (t, r) => {
    const n = 1 + int(r, 20);
    let s = t;
    for (let k = 0; k < n; k++) {
      const at = int(r, s.length + 1);
      s = s.slice(0, at) + String.fromCharCode(int(r, 0x3000)) + s.slice(at);
    }
    return s;
  },
  punctuation: (t, r) => {
    const chars = ':-[]{},&*!|>?%@`\'"#\n ';
    const at = int(r, t.length + 1);
    return t.slice(0, at) + chars[int(r, chars.length)] + t.slice(at);
  },
  hugeScalar: (t, r) => t.replace('name: demo', `name: ${'x'.repeat(10_000 + int(r, 50_000))}`),
  hugeKey: (t) => t.replace('  backend: local', `  ${'k'.repeat(20_000)}: 1`),
  deepFlow: (t, r) => {
    const d = 50 + int(r, 600);
    return t.replace('  terminateGrace: 2s', `  terminateGrace: ${'['.repeat(d)}${']'.repeat(d)}`);
  },
  deepBlock: (t, r) => {
    const d = 20 + int(r, 250);
    let s = '  commands:\n';
    for (let i = 0; i < d; i++) s += `${'  '.repeat(i + 2)}k${i}:\n`;
    return t.replace('  terminateGrace: 2s\n', `  terminateGrace: 2s\n  x:\n${s}`);
  },
  deepSegments: (t, r) => {
    const d = 5 + int(r, 60);
    let s = '';
    for (let i = 0; i < d; i++) s += `${'  '.repeat(2 * i + 2)}- name: n${i}\n${'  '.repeat(2 * i + 3)}segments:\n`;
    return t.replace('  segments:\n', `  segments:\n${s}`);
  },
  aliases: (t) => t.replace('  execs:\n', '  execs: &e\n').replace('  timeouts: {default: 10s, boot: 15s}', '  timeouts: *e'),
  billionLaughs: (_t, r) => {
    let s = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
    const levels = 5 + int(r, 5);
    for (let i = 1; i <= levels; i++) s += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
    return s;
  },
  selfAlias: (t) => t.replace('  execs:\n', '  execs: &loop\n    me: *loop\n'),
  undefinedAlias: (t) => t.replace('daq-app:\n', 'daq-app: *nowhere\n'),
  duplicateKeys: (t, r) => {
    const ls = lines(t);
    const i = int(r, ls.length);
    ls.splice(i, 0, ls[i]);
    return ls.join('\n');
  },
  documents: (t, r) => Array.from({ length: 2 + int(r, 2) }, () => t).join('\n---\n'),
  swapTypes: (t, r) => {
    const repl = ['[]', '{}', '~', '42', 'true', '"x"', '- a', '*x', '&y z'];
    const ls = lines(t);
    const i = int(r, ls.length);
    ls[i] = ls[i].replace(/:\s.*$/, `: ${repl[int(r, repl.length)]}`);
    return ls.join('\n');
  },
  binary: (_t, r) => Array.from({ length: int(r, 2000) }, () => String.fromCharCode(int(r, 256))).join(''),
  empty: () => '',
};

function assertWellFormed(ds: unknown, label: string): void {
  assert.ok(Array.isArray(ds), `${label}: not an array`);
  for (const d of ds as BatonDiagnostic[]) {
    assert.ok(d.code in DIAGNOSTIC_CODES, `${label}: unknown code ${d.code}`);
    assert.notEqual(d.code, 'internal-error', `${label}: ${d.message}`);
    assert.ok(['error', 'warning', 'info'].includes(d.severity), label);
    assert.equal(typeof d.message, 'string', label);
    assert.ok(d.message.length > 0, label);
    for (const p of [d.range.start, d.range.end]) {
      assert.ok(Number.isInteger(p.line) && p.line >= 0 && Number.isInteger(p.character) && p.character >= 0, `${label}: bad position ${JSON.stringify(d.range)}`);
    }
    assert.ok(d.range.end.line > d.range.start.line || (d.range.end.line === d.range.start.line && d.range.end.character >= d.range.start.character), `${label}: range ends before it starts`);
    if (d.field !== undefined) assert.equal(typeof d.field, 'string', label);
    assert.doesNotThrow(() => JSON.stringify(d), label);
  }
}

describe('validator fuzz', function () {
  this.timeout(120_000);

  it(`${INPUTS} mutated and random documents: no throw, no hang, well-formed diagnostics`, () => {
    const r = rng(20_240_611);
    const names = Object.keys(MUTATIONS);
    for (let i = 0; i < INPUTS; i++) {
      let text = DEMO;
      const steps = 1 + int(r, 3);
      const applied: string[] = [];
      for (let k = 0; k < steps; k++) {
        const name = names[int(r, names.length)];
        applied.push(name);
        text = MUTATIONS[name](text, r);
      }
      const label = `input #${i} (${applied.join(' + ')})`;
      const t0 = Date.now();
      let ds: unknown;
      assert.doesNotThrow(() => {
        ds = validateRunConfig(text, { file: 'fuzz.baton.yaml', env: { PATH: '/bin' }, nodeCount: 1 + (i % 4) });
      }, label);
      const ms = Date.now() - t0;
      assert.ok(ms < PER_INPUT_BUDGET_MS, `${label} took ${ms}ms: a hang?`);
      assertWellFormed(ds, label);
    }
  });
});
