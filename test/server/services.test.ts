import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { validateRunConfig } from '../../src/core/config/validate';
import { complete, ConfigDocument, definition, documentSymbols, freeName, freePort, hover, quickFixes, references, type OutlineSymbol, type TextEdit } from '../../src/core/config/services';
import { cursor, posOf, prng } from './lsp-client';

const DEMO = fs.readFileSync(path.join(__dirname, '../../examples/demo.baton.yaml'), 'utf8');
const BROKEN = fs.readFileSync(path.join(__dirname, 'fixtures', 'broken.baton.yaml'), 'utf8');

const VALID = `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata:
  name: coldbox
spec:
  hosts: {daq-01: 10.0.0.11, daq-02: 10.0.0.12}
  execs:
    daq-app:
      command: [baton-daq-app, --verbose]
      args: [--name, "{name}", -c, "rest://{host}:{port}", --session, "{session}"]
    felix:
      command: felix-app
  segments:
    - name: readout
      host: daq-01
      segments:
        - name: apa1
          apps:
            - {name: ru-apa1, exec: felix, port: 3411}
            - name: ru-apa2
              exec: daq-app
              host: daq-02
              placement:
                antiAffinity:
                  - apps: [ru-apa1]
      order:
        conf: [apa1]
  apps:
    - {name: mlt, exec: daq-app}
  order:
    start: [[readout], [mlt]]
`;

const labelsAt = (marked: string, opts = {}) => {
  const { text, pos } = cursor(marked);
  return complete(ConfigDocument.parse(text), pos, opts).map((e) => e.label);
};

function apply(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('x', 'baton', 0, text), edits);
}

describe('run-config editor services', () => {
  it('the valid fixture is valid', () => {
    assert.deepEqual(validateRunConfig(VALID), []);
  });

  describe('completion', () => {
    it('offers the keys the schema allows where the cursor is, minus those present', () => {
      assert.deepEqual(labelsAt('§'), ['apiVersion', 'kind', 'metadata', 'spec']);
      assert.deepEqual(labelsAt(VALID.replace('  name: coldbox\n', '  name: coldbox\n  §\n')), ['description', 'labels']);
      const app = labelsAt(VALID.replace('              host: daq-02\n', '              host: daq-02\n              §\n'));
      assert.ok(app.includes('port') && app.includes('resources') && !app.includes('host') && !app.includes('placement'));
      assert.deepEqual(labelsAt(VALID.replace('  apps:\n    - {name: mlt', '  apps:\n    - {§}\n    - {name: mlt')).slice(0, 3), ['name', 'exec', 'host']);
      assert.ok(labelsAt(VALID.replace('    - name: readout\n', '    - §\n    - name: readout\n')).includes('segments'), 'a new list item of segments takes segment keys');
      assert.ok(labelsAt(VALID.replace('    felix:\n      command: felix-app\n', '    felix:\n      command: felix-app\n      cw§\n')).includes('cwd'));
    });

    it('adds a colon to a new key, and not to a key that has one', () => {
      const { text, pos } = cursor(VALID.replace('  hosts:', '  hos§ts:'));
      const items = complete(ConfigDocument.parse(text), pos);
      assert.deepEqual(items.find((i) => i.label === 'host')!.newText, 'host');
      const fresh = cursor(VALID.replace('  name: coldbox\n', '  name: coldbox\n  lab§\n'));
      assert.equal(complete(ConfigDocument.parse(fresh.text), fresh.pos).find((i) => i.label === 'labels')!.newText, 'labels:');
    });

    it('offers names defined elsewhere in the file', () => {
      assert.deepEqual(labelsAt(VALID.replace('exec: felix,', 'exec: §,')), ['daq-app', 'felix']);
      assert.deepEqual(labelsAt(VALID.replace('host: daq-02', 'host: §')), ['daq-01', 'daq-02']);
      assert.deepEqual(labelsAt(VALID.replace('conf: [apa1]', 'conf: [§]')), ['apa1']);
      assert.deepEqual(labelsAt(VALID.replace('start: [[readout], [mlt]]', 'start: [[readout], [§]]')), ['mlt']);
      assert.deepEqual(labelsAt(VALID.replace('start: [[readout], [mlt]]', 'start:\n      - [readout]\n      - §')), ['mlt']);
      assert.deepEqual(labelsAt(VALID.replace('apps: [ru-apa1]', 'apps: [§]')), ['ru-apa1', 'mlt']);
      assert.deepEqual(labelsAt(VALID.replace('start: [[readout], [mlt]]', 'start: §')), ['parallel']);
    });

    it('offers transition names as keys of timeouts, order and commands', () => {
      const timeouts = labelsAt(VALID.replace('  apps:\n    - {name: mlt', '  timeouts:\n    §\n  apps:\n    - {name: mlt'));
      assert.deepEqual(timeouts.slice(0, 3), ['default', 'boot', 'conf']);
      const order = labelsAt(VALID.replace('    start: [[readout], [mlt]]', '    start: [[readout], [mlt]]\n    §'));
      assert.ok(order.includes('stop') && !order.includes('start'));
      assert.ok(labelsAt(VALID.replace('{name: mlt, exec: daq-app}', '{name: mlt, exec: daq-app, commands: {§}}')).includes('enable_triggers'));
    });

    it('offers enum values, booleans and defaults', () => {
      assert.deepEqual(labelsAt(VALID.replace('  hosts:', '  backend: k§\n  hosts:')), ['local', 'kubernetes']);
      assert.deepEqual(labelsAt(VALID.replace('{name: ru-apa1, exec: felix, port: 3411}', '{name: ru-apa1, exec: felix, privileged: §}')), ['true', 'false']);
      assert.deepEqual(labelsAt(VALID.replace('port: 3411', 'port: §')), ['auto']);
      const quoted = cursor(VALID.replace('  hosts:', '  backend: "§"\n  hosts:'));
      assert.equal(complete(ConfigDocument.parse(quoted.text), quoted.pos)[0].newText, '"local"');
    });

    it('offers state and transition names inside a custom FSM', () => {
      const fsm = `  fsm:
    states: [none, initial, ready, error]
    initial: §
    transitions:
      boot: {source: none, dest: initial}
      go: {source: initial, dest: ready}
    sequences:
      all: [boot, go]
`;
      const text = VALID.replace('  apps:\n    - {name: mlt', `${fsm}  apps:\n    - {name: mlt`);
      assert.deepEqual(labelsAt(text), ['none', 'initial', 'ready', 'error']);
      assert.deepEqual(labelsAt(text.replace('initial: §', 'initial: none').replace('dest: ready', 'dest: §')), ['none', 'initial', 'ready', 'error']);
      assert.deepEqual(labelsAt(text.replace('initial: §', 'initial: none').replace('all: [boot, go]', 'all: [boot, §]')), ['boot', 'go']);
      assert.ok(labelsAt(text.replace('initial: §', 'initial: none').replace('    - {name: mlt, exec: daq-app}', '    - {name: mlt, exec: daq-app, timeouts: {§}}')).includes('go'));
    });

    it('offers node labels from the cluster under nodeSelector and nodeAffinity', () => {
      const nodeLabels = { 'felix.cern/card': ['true'], 'kubernetes.io/hostname': ['np04-srv-001', 'np04-srv-002'] };
      const sel = VALID.replace('                antiAffinity:\n                  - apps: [ru-apa1]', '                nodeSelector:\n                  §');
      assert.deepEqual(labelsAt(sel, { nodeLabels }), ['felix.cern/card', 'kubernetes.io/hostname']);
      assert.deepEqual(labelsAt(sel, {}), []);
      assert.deepEqual(labelsAt(sel.replace('§', 'kubernetes.io/hostname: §'), { nodeLabels }), ['np04-srv-001', 'np04-srv-002']);
      const aff = VALID.replace('                antiAffinity:\n                  - apps: [ru-apa1]', '                nodeAffinity:\n                  - {key: felix.cern/card, operator: In, values: [§]}');
      assert.deepEqual(labelsAt(aff, { nodeLabels }), ['true']);
    });

    it('offers nothing in comments or beyond the text', () => {
      assert.deepEqual(labelsAt(VALID.replace('  hosts:', '  # a comment §\n  hosts:')), []);
      const doc = ConfigDocument.parse(VALID);
      assert.deepEqual(complete(doc, { line: 999, character: 0 }), []);
      assert.deepEqual(complete(doc, { line: 0, character: 999 }), []);
      assert.deepEqual(complete(doc, { line: 0.5, character: 0 }), []);
    });
  });

  describe('hover', () => {
    const doc = ConfigDocument.parse(VALID);
    const text = (needle: string, delta = 1, nth = 0) => hover(doc, posOf(VALID, needle, delta, nth))?.contents;

    it('shows an app as it would be launched: placeholders expanded, host resolved, port', () => {
      assert.equal(
        text('ru-apa2'),
        '**app** `ru-apa2` — exec `daq-app`, host `10.0.0.12`, port auto (picked at boot)\n\n```sh\nbaton-daq-app --verbose --name ru-apa2 -c rest://10.0.0.12:<auto> --session coldbox\n```',
      );
      assert.match(text('ru-apa1, exec')!, /host `10\.0\.0\.11`, port 3411\n\n```sh\nfelix-app\n```/);
      assert.match(text('ru-apa1]')!, /^\*\*app\*\* `ru-apa1`/, 'also from a reference');
      assert.match(text('mlt]]')!, /host `127\.0\.0\.1`/);
    });

    it('says so when the file has errors and the line is read from the text as written', () => {
      const broken = VALID.replace('command: felix-app', 'command: felix-app\n      bogus: 1');
      const h = hover(ConfigDocument.parse(broken), posOf(broken, 'ru-apa1', 1))!.contents;
      assert.match(h, /felix-app/);
      assert.match(h, /the file has errors/);
    });

    it('documents keys from the schema, transitions from the FSM, and names', () => {
      assert.match(text('command:')!, /^\*\*command\*\*\n\nThe program \(argv\[0\]\)/);
      const conf = text('conf:')!;
      assert.match(conf, /transition `conf`: initial → configured/);
      assert.match(text('felix,')!, /^\*\*exec\*\* `felix`\n\n```sh\nfelix-app\n```/);
      assert.equal(text('daq-02', 1, 1), '**host** `daq-02` = `10.0.0.12`');
      assert.match(text('readout]')!, /\*\*segment\*\* `readout`\n\nchildren: `apa1`/);
      assert.equal(hover(doc, { line: 400, character: 0 }), undefined);
    });
  });

  describe('definition and references', () => {
    const doc = ConfigDocument.parse(VALID);
    it('links apps and segments named in order and affinity to their definitions', () => {
      const def = definition(doc, posOf(VALID, 'ru-apa1]', 2));
      assert.deepEqual(def, [{ start: posOf(VALID, 'ru-apa1'), end: posOf(VALID, 'ru-apa1', 7) }]);
      assert.deepEqual(definition(doc, posOf(VALID, '[apa1]', 1)), [{ start: posOf(VALID, 'apa1\n'), end: posOf(VALID, 'apa1\n', 4) }]);
      assert.deepEqual(references(doc, posOf(VALID, 'mlt,'), false), [{ start: posOf(VALID, 'mlt]]'), end: posOf(VALID, 'mlt]]', 3) }]);
    });

    it('links hosts to the apps and segments that use them', () => {
      const refs = references(doc, posOf(VALID, 'daq-01:'), true);
      assert.deepEqual(refs.map((r) => r.start.line), [posOf(VALID, 'daq-01').line, posOf(VALID, 'host: daq-01').line]);
    });

    it('finds nothing where nothing is named', () => {
      assert.deepEqual(definition(doc, posOf(VALID, 'apiVersion')), []);
      assert.deepEqual(references(doc, { line: -1, character: 0 }, true), []);
    });
  });

  describe('quick fixes', () => {
    const fixAll = (text: string, code: string) => {
      const diags = validateRunConfig(text).filter((d) => d.code === code);
      assert.ok(diags.length > 0, `no ${code} in the text`);
      const fixes = quickFixes(ConfigDocument.parse(text), diags);
      assert.equal(fixes.length, 1);
      return { title: fixes[0].title, text: apply(text, fixes[0].edits) };
    };

    it('adds missing children to a block-style order as one last group', () => {
      const text = VALID.replace('start: [[readout], [mlt]]', 'start:\n      - readout  # first\n  timeouts: {default: 10s}').replace('    - {name: mlt, exec: daq-app}', '    - {name: mlt, exec: daq-app}\n    - {name: hsi, exec: daq-app}');
      const fixed = fixAll(text, 'order-missing-children');
      assert.equal(fixed.title, 'Add mlt, hsi to the start order');
      assert.match(fixed.text, /start:\n {6}- readout {2}# first\n {6}- \[mlt, hsi\]\n {2}timeouts/);
      assert.deepEqual(validateRunConfig(fixed.text), []);
    });

    it('renames an app with "_" together with the references to it', () => {
      const text = VALID.replace(/ru-apa1/g, 'ru_apa1');
      const fixed = fixAll(text, 'underscore-in-name');
      assert.equal(fixed.text, VALID);
    });

    it('fixes a misspelt placeholder inside its string only', () => {
      const text = VALID.replace('rest://{host}:{port}', 'rest://{host}:{prot}');
      const fixed = fixAll(text, 'unknown-placeholder');
      assert.equal(fixed.title, 'Change {prot} to {port}');
      assert.equal(fixed.text, VALID);
    });

    it('keeps quotes when replacing a quoted name', () => {
      const text = VALID.replace('exec: felix,', 'exec: "felx",');
      assert.equal(fixAll(text, 'unknown-exec').text, VALID.replace('exec: felix,', 'exec: "felix",'));
    });

    it('picks free names and free ports', () => {
      assert.equal(freeName(['df-01', 'df-02'], 'df-01'), 'df-03');
      assert.equal(freeName(['mlt', 'mlt-2'], 'mlt'), 'mlt-3');
      assert.equal(freePort(new Set([3401, 3402]), 3401), 3403);
      assert.equal(freePort(new Set([65535]), 65535), 1024);
    });

    it('offers nothing for diagnostics it has no fix for or that no longer fit the text', () => {
      const doc = ConfigDocument.parse(VALID);
      assert.deepEqual(quickFixes(doc, [{ code: 'yaml-syntax', message: 'x', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } }]), []);
      assert.deepEqual(quickFixes(doc, [{ code: 'order-missing-children', message: 'x', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, data: { missing: ['a'] } }]), []);
      assert.deepEqual(quickFixes(doc, [{ code: 'unknown-key', message: 'x', range: { start: { line: 90, character: 0 }, end: { line: 91, character: 1 } }, data: { suggestion: 'a' } }]), []);
    });
  });

  it('outlines nested segments and top-level apps, each selection inside its range', () => {
    const symbols = documentSymbols(ConfigDocument.parse(VALID));
    const tree = (s: OutlineSymbol): unknown => (s.children.length ? { [`${s.kind}:${s.name}`]: s.children.map(tree) } : `${s.kind}:${s.name}`);
    assert.deepEqual(symbols.map(tree), [
      { 'group:execs': ['exec:daq-app', 'exec:felix'] },
      { 'group:hosts': ['host:daq-01', 'host:daq-02'] },
      { 'segment:readout': [{ 'segment:apa1': ['app:ru-apa1', 'app:ru-apa2'] }] },
      'app:mlt',
    ]);
    const inside = (s: OutlineSymbol): void => {
      const before = (a: { line: number; character: number }, b: typeof a) => a.line < b.line || (a.line === b.line && a.character <= b.character);
      assert.ok(before(s.range.start, s.selectionRange.start) && before(s.selectionRange.end, s.range.end), s.name);
      s.children.forEach(inside);
    };
    symbols.forEach(inside);
    assert.deepEqual(documentSymbols(ConfigDocument.parse('')), []);
    assert.deepEqual(documentSymbols(ConfigDocument.parse('[[[')), []);
  });

  it('never throws on mutated documents at any position (fixed seed)', function () {
    this.timeout(120_000);
    const random = prng(7);
    const int = (n: number) => Math.floor(random() * n);
    const sources = [DEMO, BROKEN, VALID];
    const pieces = [':', '- ', '[', ']', '{', '}', ',', '"', '\n', '    ', '\t', '&x ', '*x', '<<: *x', '#', '---\n', '? ', '|\n', '{name}', '\r\n', '\u2028', '😀'];
    for (let i = 0; i < 1000; i++) {
      let text = sources[i % sources.length];
      for (let k = int(4); k >= 0; k--) {
        const at = int(text.length + 1);
        text = random() < 0.3 ? text.slice(0, at) + text.slice(at + int(30)) : text.slice(0, at) + pieces[int(pieces.length)] + text.slice(at);
      }
      const doc = ConfigDocument.parse(text);
      const lines = text.split('\n');
      for (let j = 0; j < 4; j++) {
        const line = int(lines.length);
        const pos = { line, character: int(lines[line].length + 1) };
        try {
          complete(doc, pos, { nodeLabels: { a: ['b'] } });
          hover(doc, pos);
          definition(doc, pos);
          references(doc, pos, true);
        } catch (err) {
          assert.fail(`input ${i} at ${JSON.stringify(pos)}: ${(err as Error).stack}\n${text}`);
        }
      }
      documentSymbols(doc);
      quickFixes(doc, validateRunConfig(text));
    }
  });
});
