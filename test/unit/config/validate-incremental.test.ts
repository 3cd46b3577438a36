import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import { analyseRunConfig, type Analysis } from '../../../src/core/config/validate';
import { seededRandom } from '../../support/seeded-random';

/**
 * The validator reuses the previous parse when an edit stays inside one scalar value. That
 * must be invisible: after any single-character edit, the analysis (diagnostics, data,
 * every node and every position) equals the one a full parse of the new text gives.
 */

const DEMO = fs.readFileSync(path.join(__dirname, '../../../examples/demo.baton.yaml'), 'utf8');
const VARIED = `# comments, quotes, flow and block forms
apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata: {name: "coldbox", description: 'it''s a test'}   # trailing
spec:
  hosts: {daq-01: 10.0.0.11, daq-02: "np04-srv-002"}
  execs:
    daq-app:
      command: [baton-daq-app]
      args: [--name, "{name}", -c, 'rest://{host}:{port}', 12, 1.50, true, 0x1F]
      env: {PATH: getenv, LOG_LEVEL: "getenv:info"}

  timeouts: {default: 30s, boot: 1m}
  segments:
    - name: dataflow
      apps:
        - {name: df-01, exec: daq-app, port: 3401}
        - name: df-02   # second
          exec: daq-ap
          port: 3401
    - name: readout
      host: daq-01
      apps:
        - name: ru-apa1
          exec: daq-app
          port: 3411
          commands:
            conf: {modules: [{match: "", data: {link_count: 10}}]}
  order:
    start: [[dataflow], [readout]]
`;

const rng = seededRandom;

/** Every node with its kind, range and what it says, in document order. */
function dump(a: Analysis): unknown[] {
  const out: unknown[] = [];
  const walk = (n: unknown): void => {
    if (isPair(n)) {
      walk(n.key);
      walk(n.value);
    } else if (isScalar(n)) {
      out.push(['scalar', n.range, n.value, n.type, n.source, n.format, n.comment, n.commentBefore, n.spaceBefore]);
    } else if (isMap(n) || isSeq(n)) {
      out.push([isMap(n) ? 'map' : 'seq', n.range, n.flow, n.comment, n.commentBefore]);
      for (const item of n.items) walk(item);
    } else out.push(['other', n]);
  };
  walk(a.index?.node([]));
  return out;
}

/** Nothing the validator keeps may tell the two analyses apart. */
function assertSame(edited: Analysis, full: Analysis, text: string, why: string): void {
  assert.deepEqual(edited.diagnostics, full.diagnostics, why);
  assert.deepEqual(edited.data, full.data, why);
  assert.deepEqual(dump(edited), dump(full), why);
  for (let o = 0; o <= text.length; o += 7) assert.deepEqual(edited.index?.range(o, o + 3), full.index?.range(o, o + 3), `${why} at offset ${o}`);
  assert.deepEqual(edited.index?.top(), full.index?.top(), why);
}

/** Enough unrelated documents to push every remembered parse out, so the next one is full. */
function forget(): void {
  for (let i = 0; i < 6; i++) analyseRunConfig(`apiVersion: baton.dev/v1alpha1\nkind: RunConfig\nmetadata: {name: x${i}}\nspec: {execs: {}}\n`);
}

describe('run configuration validator: reuse across edits', () => {
  for (const [name, base] of Object.entries({ demo: DEMO, varied: VARIED })) {
    it(`any one-character edit of the ${name} configuration analyses as a full parse does`, () => {
      const r = rng(name.length * 7919);
      const alphabet = 'ab-Z09.5 :#,"\'{}[]\n\\&*!|>%@`\t_x';
      let reused = 0;
      const edits = 600;
      for (let i = 0; i < edits; i++) {
        const at = Math.floor(r() * base.length);
        const c = alphabet[Math.floor(r() * alphabet.length)];
        const kind = Math.floor(r() * 3);
        const text = kind === 0 ? base.slice(0, at) + c + base.slice(at) : kind === 1 ? base.slice(0, at) + base.slice(at + 1) : base.slice(0, at) + c + base.slice(at + 1);
        const why = `edit #${i}: ${['insert', 'delete', 'replace'][kind]} ${JSON.stringify(c)} at ${at}`;
        forget();
        const full = analyseRunConfig(text);
        forget();
        const before = analyseRunConfig(base);
        const edited = analyseRunConfig(text);
        // Nodes before the change are shared when the previous parse was reused.
        if (at > 40 && edited.index?.node(['apiVersion']) === before.index?.node(['apiVersion'])) reused++;
        assertSame(edited, full, text, why);
      }
      assert.ok(reused > edits / 10, `only ${reused} of ${edits} edits reused the previous parse`);
    });
  }

  it('a run of edits typed one after the other, each on the last, stays equal to a full parse', () => {
    const site = VARIED.indexOf('port: 3411') + 'port: 341'.length;
    const texts = [...'5678'].map((_, i, cs) => VARIED.slice(0, site) + cs.slice(0, i + 1).join('') + VARIED.slice(site));
    const full = texts.map((t) => {
      forget();
      return analyseRunConfig(t);
    });
    forget();
    const first = analyseRunConfig(VARIED);
    texts.forEach((t, i) => {
      const edited = analyseRunConfig(t);
      assert.equal(edited.index?.node(['kind']), first.index?.node(['kind']), 'the previous parse was reused');
      assertSame(edited, full[i], t, `typed ${texts.length} digits, #${i}`);
    });
  });
});
