import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIAGNOSTIC_CODES, validateRunConfig, type BatonDiagnostic, type Range } from '../../../src/core/config/validate';
import { closest, editDistance } from '../../../src/core/config/suggestions';

const BASE = `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata:
  name: coldbox
spec:
  hosts: {daq-01: 10.0.0.11}
  execs:
    daq-app:
      command: [baton-daq-app]
      args: [--name, "{name}", -c, "rest://{host}:{port}"]
      env: {PATH: getenv, LOG_LEVEL: "getenv:info"}
  timeouts: {default: 30s, boot: 1m}
  segments:
    - name: dataflow
      apps:
        - {name: df-01, exec: daq-app, port: 3401}
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

const covered = new Set<string>();

/** 0-based range of the n-th occurrence of `needle` in `text`. */
function rangeOf(text: string, needle: string, nth = 0): Range {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `"${needle}" (#${nth}) not in the text`);
  }
  const pos = (offset: number) => {
    const before = text.slice(0, offset).split('\n');
    return { line: before.length - 1, character: before[before.length - 1].length };
  };
  return { start: pos(at), end: pos(at + needle.length) };
}

function check(text: string, opts: Parameters<typeof validateRunConfig>[1] = {}): BatonDiagnostic[] {
  const ds = validateRunConfig(text, opts);
  for (const d of ds) covered.add(d.code);
  return ds;
}

/** Exactly one diagnostic with `code`, returned for further assertions. */
function one(text: string, code: string, opts: Parameters<typeof validateRunConfig>[1] = {}): BatonDiagnostic {
  const ds = check(text, opts);
  const hits = ds.filter((d) => d.code === code);
  assert.equal(hits.length, 1, `expected one ${code}, got ${JSON.stringify(ds, null, 1)}`);
  return hits[0];
}

function only(text: string, code: string, opts: Parameters<typeof validateRunConfig>[1] = {}): BatonDiagnostic {
  const d = one(text, code, opts);
  const ds = validateRunConfig(text, opts);
  assert.equal(ds.length, 1, `expected only ${code}, got ${JSON.stringify(ds, null, 1)}`);
  return d;
}

describe('run configuration validator', () => {
  it('finds nothing wrong in a good configuration', () => {
    assert.deepEqual(check(BASE, { env: { PATH: '/bin' } }), []);
  });

  it('the shipped examples validate clean', () => {
    const dir = path.join(__dirname, '../../../examples');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.baton.yaml'));
    assert.ok(files.length >= 1);
    for (const f of files) assert.deepEqual(check(fs.readFileSync(path.join(dir, f), 'utf8'), { env: { PATH: '/bin' } }), [], f);
  });

  describe('YAML', () => {
    it('yaml-syntax at the broken place, and the other checks still run', () => {
      const text = BASE.replace('start: [[dataflow], [readout]]', 'start: [[dataflow], [readout]').replace('exec: daq-app, port: 3401', 'exec: daq-ap, port: 3401');
      const ds = check(text);
      assert.equal(ds[0].code, 'yaml-syntax');
      assert.equal(ds[0].severity, 'error');
      assert.equal(ds[0].range.start.line, 26);
      assert.ok(ds.some((d) => d.code === 'unknown-exec'), 'semantic checks ran on what parsed');
    });

    it('duplicate-key at the repeated key', () => {
      const text = BASE.replace('  timeouts: {default: 30s, boot: 1m}\n', '  timeouts: {default: 30s}\n  timeouts: {boot: 1m}\n');
      const d = one(text, 'duplicate-key');
      assert.deepEqual(d.range.start, rangeOf(text, 'timeouts', 1).start);
    });

    it('yaml-warning for an unknown tag', () => {
      const text = BASE.replace('name: coldbox', 'name: !weird coldbox');
      const d = one(text, 'yaml-warning');
      assert.equal(d.severity, 'warning');
      assert.equal(d.range.start.line, 3);
    });

    it('multiple-documents at the start of the second document', () => {
      const text = `${BASE}---\n${BASE}`;
      const d = only(text, 'multiple-documents');
      assert.equal(d.range.start.line, BASE.split('\n').length - 1);
    });

    it('empty-document for an empty file or only comments', () => {
      assert.equal(only('', 'empty-document').range.start.line, 0);
      only('# nothing\n', 'empty-document');
    });

    it('alias-limit for a billion-laughs document', () => {
      let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
      for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
      const d = one(text, 'alias-limit');
      assert.equal(d.range.start.line, 0);
    });

    it('too-deep for absurd nesting, too-large for absurd size', () => {
      one(`${'['.repeat(300)}${']'.repeat(300)}`, 'too-deep');
      only(`# ${'x'.repeat(9 * 1024 * 1024)}\n`, 'too-large');
    });
  });

  describe('schema', () => {
    it('unknown-key on the key, with a suggestion', () => {
      const text = BASE.replace('  timeouts: {', '  timeout: {');
      const d = only(text, 'unknown-key');
      assert.deepEqual(d.range, rangeOf(text, 'timeout'));
      assert.equal(d.field, 'spec.timeout');
      assert.match(d.message, /did you mean "timeouts"/);
      assert.deepEqual((d.data as { suggestion: string }).suggestion, 'timeouts');
    });

    it('unknown-key deep in an app lists what is allowed when nothing is close', () => {
      const text = BASE.replace('          port: 3411\n', '          port: 3411\n          zzzzzzzz: 1\n');
      const d = only(text, 'unknown-key');
      assert.deepEqual(d.range, rangeOf(text, 'zzzzzzzz'));
      assert.match(d.message, /allowed: name, exec/);
    });

    it('missing-key on the parent key', () => {
      const text = BASE.replace('      command: [baton-daq-app]\n', '');
      const d = only(text, 'missing-key');
      assert.deepEqual(d.range, rangeOf(text, 'daq-app'));
      assert.match(d.message, /needs "command"/);
    });

    it('wrong-type on the value, in words', () => {
      const text = BASE.replace('      apps:\n        - {name: df-01', '      apps: 7\n      more:\n        - {name: df-01');
      const ds = check(text);
      const d = ds.find((x) => x.code === 'wrong-type')!;
      assert.deepEqual(d.range, rangeOf(text, '7'));
      assert.match(d.message, /spec\.segments\[0\]\.apps must be a list, not number 7/);
    });

    it('wrong-type for a port says what a port is', () => {
      const text = BASE.replace('port: 3401', 'port: true');
      const d = only(text, 'wrong-type');
      assert.deepEqual(d.range, rangeOf(text, 'true'));
      assert.match(d.message, /true is not a port \(an integer 1-65535 or "auto"\)/);
    });

    it('invalid-value for enums (with suggestion) and patterns', () => {
      let text = BASE.replace('spec:\n', 'spec:\n  backend: kubernets\n');
      let d = only(text, 'invalid-value');
      assert.deepEqual(d.range, rangeOf(text, 'kubernets'));
      assert.deepEqual((d.data as { suggestion: string }).suggestion, 'kubernetes');
      text = BASE.replace('boot: 1m', 'boot: soon');
      d = only(text, 'invalid-value');
      assert.deepEqual(d.range, rangeOf(text, 'soon'));
      assert.match(d.message, /"soon" is not a duration/);
    });

    it('invalid-key for a bad environment variable name, on the key', () => {
      const text = BASE.replace('env: {PATH: getenv,', 'env: {PATH: getenv, 1BAD: x,');
      const d = only(text, 'invalid-key');
      assert.deepEqual(d.range, rangeOf(text, '1BAD'));
    });

    it('out-of-range for a port above 65535', () => {
      const text = BASE.replace('port: 3401', 'port: 70000');
      const d = only(text, 'out-of-range');
      assert.deepEqual(d.range, rangeOf(text, '70000'));
      assert.equal(d.field, 'spec.segments[0].apps[0].port');
    });

    it('a scalar document is a wrong-type at the top', () => {
      const d = only('hello\n', 'wrong-type');
      assert.deepEqual(d.range.start, { line: 0, character: 0 });
    });

    it('accepts the Kubernetes settings, run-number source and custom FSM the language defines', () => {
      const text = BASE.replace('spec:\n', `spec:
  backend: kubernetes
  runNumber: {source: service, url: "http://runs.example:5000"}
  kubernetes: {context: np04, namespace: coldbox, image: "ghcr.io/dune/daq:v5", imagePullPolicy: IfNotPresent}
  fsm:
    states: [none, initial, configured, ready, error]
    transitions:
      boot: {source: none, dest: initial}
      conf: {source: initial, dest: configured}
      start: {source: configured, dest: ready}
      stop: {source: ready, dest: configured}
      terminate: {source: [initial, configured, error], dest: none}
    sequences:
      go: ["[conf]", start]
`).replace('          port: 3411\n', `          port: 3411
          privileged: true
          hostNetwork: true
          resources: {requests: {cpu: 2, memory: 4Gi}, limits: {felix.cern/card: 1}}
          mounts: [{hostPath: /data/raw, path: /data, readOnly: false}]
          placement:
            nodeSelector: {felix.cern/card: "true"}
            nodeAffinity: [{key: rack, operator: In, values: [a, b]}, {key: ssd, operator: Exists, strict: false, weight: 10}]
            affinity: [{apps: [df-01], strict: false, weight: 50}]
            antiAffinity: [{apps: [df-01], topologyKey: kubernetes.io/hostname}]
            tolerations: [{key: felix, operator: Exists, effect: NoSchedule}]
`);
      assert.deepEqual(check(text, { env: { PATH: '/bin' }, nodeCount: 2 }), []);
    });

    it('run-number sources need their file or url', () => {
      const text = BASE.replace('spec:\n', 'spec:\n  runNumber: {source: file}\n');
      const d = only(text, 'missing-key');
      assert.deepEqual(d.range, rangeOf(text, 'runNumber'));
      assert.match(d.message, /needs "file"/);
    });
  });

  describe('meaning', () => {
    it('duplicate-name on the second name, pointing at the first', () => {
      const text = BASE.replace('name: ru-apa1', 'name: df-01');
      const d = only(text, 'duplicate-name');
      assert.deepEqual(d.range, rangeOf(text, 'df-01', 1));
      assert.match(d.message, /already used at spec\.segments\[0\]\.apps\[0\] \(line 16\)/);
    });

    it('duplicate-name for segments too', () => {
      const text = BASE.replace('name: readout', 'name: dataflow').replace('[[dataflow], [readout]]', '[[dataflow]]');
      const d = one(text, 'duplicate-name');
      assert.deepEqual(d.range, rangeOf(text, 'dataflow', 1));
    });

    it('invalid-k8s-name with a replacement, underscore-in-name for apps', () => {
      let text = BASE.replace('name: coldbox', 'name: Cold.Box');
      let d = only(text, 'invalid-k8s-name');
      assert.deepEqual(d.range, rangeOf(text, 'Cold.Box'));
      assert.deepEqual(d.data, { replacement: 'cold-box' });
      text = BASE.replace('name: df-01', 'name: df_01');
      d = only(text, 'underscore-in-name');
      assert.deepEqual(d.range, rangeOf(text, 'df_01'));
      assert.deepEqual(d.data, { replacement: 'df-01' });
    });

    it('unknown-exec on the reference, with suggestion', () => {
      const text = BASE.replace('exec: daq-app, port', 'exec: daq-ap, port');
      const d = only(text, 'unknown-exec');
      const at = rangeOf(text, 'daq-ap,');
      assert.deepEqual(d.range, { start: at.start, end: { line: at.start.line, character: at.start.character + 'daq-ap'.length } });
      assert.deepEqual((d.data as { suggestion: string }).suggestion, 'daq-app');
    });

    it('unknown-host for a bare name not in spec.hosts; addresses pass', () => {
      const text = BASE.replace('host: daq-01', 'host: daq-02');
      const d = only(text, 'unknown-host');
      assert.deepEqual(d.range, rangeOf(text, 'daq-02'));
      assert.deepEqual(check(BASE.replace('host: daq-01', 'host: 10.1.2.3'), { env: { PATH: '/bin' } }), []);
    });

    it('unknown-app in affinity rules', () => {
      const text = BASE.replace('          port: 3411\n', '          port: 3411\n          placement: {antiAffinity: [{apps: [df-02]}]}\n');
      const d = only(text, 'unknown-app');
      assert.deepEqual(d.range, rangeOf(text, 'df-02'));
    });

    it('unknown-placeholder and bad-placeholder in args and env', () => {
      let text = BASE.replace('"{name}"', '"{nmae}"');
      let d = only(text, 'unknown-placeholder');
      assert.deepEqual(d.range, rangeOf(text, '"{nmae}"'));
      assert.deepEqual(d.data, { suggestion: '{name}' });
      text = BASE.replace('env: {PATH: getenv,', 'env: {PATH: getenv, X: "a}b",');
      d = only(text, 'bad-placeholder');
      assert.deepEqual(d.range, rangeOf(text, '"a}b"'));
      assert.deepEqual(check(BASE.replace('"{name}"', '"{{literal}}"')), []);
    });

    it('port-collision on the same (resolved) host only', () => {
      let text = BASE.replace('port: 3411', 'port: 3401').replace('      host: daq-01\n', '');
      const d = only(text, 'port-collision');
      assert.deepEqual(d.range, rangeOf(text, '3401', 1));
      assert.match(d.message, /port 3401 on 127\.0\.0\.1 is also given to app "df-01"/);
      // ru-apa1 runs on daq-01 = 10.0.0.11: no clash with df-01 on 127.0.0.1 ...
      assert.deepEqual(check(BASE.replace('port: 3411', 'port: 3401')), []);
      // ... but a clash with an app given the address itself.
      text = BASE.replace('port: 3411', 'port: 3401').replace('{name: df-01, exec: daq-app, port: 3401}', '{name: df-01, exec: daq-app, port: 3401, host: 10.0.0.11}');
      one(text, 'port-collision');
    });

    it('port-in-auto-range for a fixed port the system may hand out automatically', () => {
      const text = BASE.replace('port: 3411', 'port: 40000');
      const d = only(text, 'port-in-auto-range');
      assert.equal(d.severity, 'warning');
      assert.deepEqual(d.range, rangeOf(text, '40000'));
      assert.match(d.message, /port 40000 is in the range the system assigns automatically \(32768-60999/);
      assert.deepEqual(check(BASE.replace('port: 3411', 'port: 32767')), []);
    });

    it('empty-segment for a segment with nothing in it, and for a spec without apps', () => {
      let text = BASE.replace('    - name: readout\n', '    - name: spare\n    - name: readout\n');
      const d = one(text, 'empty-segment');
      assert.deepEqual(d.range, rangeOf(text, 'spare'));
      text = BASE.slice(0, BASE.indexOf('  segments:'));
      const e = only(text, 'empty-segment');
      assert.deepEqual(e.range, rangeOf(text, 'spec'));
    });

    it('order-unknown-child, order-duplicate and order-missing-children (warning with the missing ones)', () => {
      let text = BASE.replace('[[dataflow], [readout]]', '[[dataflow], [redout]]');
      const d = one(text, 'order-unknown-child');
      assert.deepEqual(d.range, rangeOf(text, 'redout'));
      assert.match(d.message, /"redout" is not a child of coldbox/);
      text = BASE.replace('[[dataflow], [readout]]', '[[dataflow, readout], [dataflow]]');
      assert.deepEqual(only(text, 'order-duplicate').range, rangeOf(text, 'dataflow', 2));
      text = BASE.replace('[[dataflow], [readout]]', '[[dataflow]]');
      const m = only(text, 'order-missing-children');
      assert.equal(m.severity, 'warning');
      assert.deepEqual(m.range, rangeOf(text, 'start'));
      assert.deepEqual(m.data, { missing: ['readout'] });
    });

    it('unknown-transition (warning) for timeouts and order keys the FSM does not have', () => {
      const text = BASE.replace('boot: 1m', 'bot: 1m');
      const d = only(text, 'unknown-transition');
      assert.equal(d.severity, 'warning');
      assert.deepEqual(d.range, rangeOf(text, 'bot'));
      assert.deepEqual(d.data, { suggestion: 'boot' });
    });

    it('fsm-invalid for an inconsistent custom FSM, located at the transition', () => {
      const text = BASE.replace('spec:\n', `spec:
  fsm:
    states: [none, initial, error]
    transitions:
      boot: {source: none, dest: initial}
      go: {source: initial, dest: nowhere}
`);
      const d = one(text, 'fsm-invalid');
      assert.deepEqual(d.range, rangeOf(text, 'go'));
      assert.match(d.message, /"nowhere"/);
    });

    it('timeout-out-of-range: below 100ms an error, above 1h a warning', () => {
      let text = BASE.replace('default: 30s', 'default: 50ms');
      let d = only(text, 'timeout-out-of-range');
      assert.equal(d.severity, 'error');
      assert.deepEqual(d.range, rangeOf(text, '50ms'));
      text = BASE.replace('boot: 1m', 'boot: 2h');
      d = only(text, 'timeout-out-of-range');
      assert.equal(d.severity, 'warning');
    });

    it('forbidden-host-mount for system directories and below, not for others', () => {
      const mount = (p: string) => BASE.replace('          port: 3411\n', `          port: 3411\n          mounts: [{hostPath: ${p}, path: /x}]\n`);
      for (const p of ['/', '/etc', '/etc/ssl', '/usr/lib/', '/tmp', '//proc']) {
        const text = mount(p);
        const at = rangeOf(text, `hostPath: ${p},`).start;
        const start = { line: at.line, character: at.character + 'hostPath: '.length };
        assert.deepEqual(only(text, 'forbidden-host-mount').range, { start, end: { line: at.line, character: start.character + p.length } }, p);
      }
      assert.deepEqual(check(mount('/data/tmp')), []);
      assert.deepEqual(check(mount('/library')), []);
    });

    it('anti-affinity-unschedulable when strict anti-affinity needs more nodes than there are', () => {
      const text = BASE.replace('          port: 3411\n', '          port: 3411\n          placement: {antiAffinity: [{apps: [df-01]}]}\n');
      assert.deepEqual(check(text, { nodeCount: 2 }), []);
      const d = only(text, 'anti-affinity-unschedulable', { nodeCount: 1 });
      assert.deepEqual(d.range, rangeOf(text, 'antiAffinity'));
      assert.deepEqual(d.data, { apps: ['ru-apa1', 'df-01'], nodeCount: 1 });
      const soft = text.replace('{apps: [df-01]}', '{apps: [df-01], strict: false}');
      assert.deepEqual(check(soft, { nodeCount: 1 }), []);
    });

    it('getenv-unset (warning) only when an environment is given', () => {
      const d = only(BASE, 'getenv-unset', { env: {} });
      assert.equal(d.severity, 'warning');
      assert.deepEqual(d.range, rangeOf(BASE, 'getenv'));
      assert.deepEqual(check(BASE), []);
    });
  });

  it('suggests only close matches', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(closest('timeout', ['timeouts', 'segments']), 'timeouts');
    assert.equal(closest('Segments', ['segments']), 'segments');
    assert.equal(closest('zzzz', ['segments', 'apps']), undefined);
  });

  // Nested suites run after the tests of their parent: this one runs last.
  describe('coverage', () => {
    it('every diagnostic code is exercised above', () => {
    const untestable = ['schema-violation', 'internal-error'];
    const missing = Object.keys(DIAGNOSTIC_CODES).filter((c) => !covered.has(c) && !untestable.includes(c));
    assert.deepEqual(missing, []);
    });
  });
});

describe('run configuration schema', () => {
  it('documents every field (hover shows these descriptions)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const schema = require('../../../schemas/run-config.schema.json') as Record<string, unknown>;
    const defs = schema.definitions as Record<string, Record<string, unknown>>;
    const undocumented: string[] = [];
    const visit = (node: unknown, at: string) => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      for (const [key, sub] of Object.entries((n.properties as Record<string, Record<string, unknown>>) ?? {})) {
        const target = typeof sub.$ref === 'string' ? defs[sub.$ref.replace('#/definitions/', '')] : undefined;
        if (typeof sub.description !== 'string' && typeof target?.description !== 'string') undocumented.push(`${at}.${key}`);
        visit(sub, `${at}.${key}`);
      }
      for (const k of ['items', 'additionalProperties']) visit(n[k], `${at}.${k}`);
    };
    visit(schema, '#');
    for (const [name, def] of Object.entries(defs)) visit(def, `#/definitions/${name}`);
    assert.deepEqual(undocumented, []);
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  });
});
