import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ConfigError, loadRunConfig, parseRunConfig } from '../../../src/core/config/load';
import { parseDuration } from '../../../src/core/config/duration';
import { validateRunConfig } from '../../../src/core/config/validate';

const GOOD = `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata:
  name: coldbox
spec:
  execs:
    daq-app:
      command: [baton-daq-app]
      args: [--name, "{name}", -c, "rest://{host}:{port}"]
      env: {PATH: getenv}
  timeouts: {default: 30s, boot: 1m}
  segments:
    - name: dataflow
      apps:
        - {name: df-01, exec: daq-app, port: 3401}
    - name: readout
      timeouts: {conf: 45s}
      apps:
        - name: ru-apa1
          exec: daq-app
          port: 3411
          timeouts: {start: 500ms}
          commands:
            conf: {modules: [{match: "", data: {link_count: 10}}]}
  order:
    start: [[dataflow], [readout]]
`;

function problemsOf(text: string) {
  try {
    parseRunConfig(text, 'x.baton.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    return err.problems;
  }
  assert.fail('expected the configuration to be rejected');
}

describe('run configuration reader', () => {
  it('reads segments, apps, execs, timeouts and order', () => {
    const c = parseRunConfig(GOOD, 'coldbox.baton.yaml');
    assert.equal(c.name, 'coldbox');
    assert.equal(c.backend, 'local');
    assert.deepEqual(c.root.children.map((s) => s.name), ['dataflow', 'readout']);
    const ru = (c.root.children[1] as { children: unknown[] }).children[0] as { name: string; port: number; timeouts: Record<string, number>; commands: Record<string, unknown>; host: string };
    assert.equal(ru.name, 'ru-apa1');
    assert.equal(ru.port, 3411);
    assert.equal(ru.host, '127.0.0.1');
    assert.deepEqual(ru.timeouts, { start: 500 });
    assert.deepEqual(ru.commands.conf, { modules: [{ match: '', data: { link_count: 10 } }] });
    assert.deepEqual(c.timeouts, { default: 30_000, boot: 60_000 });
    assert.deepEqual(c.root.order, { start: [['dataflow'], ['readout']] });
    assert.deepEqual(c.execs['daq-app'].command, ['baton-daq-app']);
  });

  it('reads the shipped demo', () => {
    const c = loadRunConfig(path.join(__dirname, '../../../examples/demo.baton.yaml'));
    const apps = c.root.children.flatMap((s) => (s.kind === 'segment' ? s.children : [s]));
    assert.ok(apps.length >= 6);
    assert.ok(c.root.children.length >= 3);
  });

  it('points at the line of an undefined exec', () => {
    const p = problemsOf(GOOD.replace('{name: df-01, exec: daq-app', '{name: df-01, exec: daq-ap'));
    assert.equal(p.length, 1);
    assert.match(p[0].message, /exec "daq-ap" which is not defined.*known: daq-app/);
    assert.equal(p[0].line, 15);
    assert.equal(p[0].field, 'spec.segments[0].apps[0].exec');
  });

  it('rejects duplicate application names and clashing fixed ports', () => {
    const p = problemsOf(GOOD.replace('name: ru-apa1', 'name: df-01').replace('port: 3411', 'port: 3401'));
    assert.ok(p.some((x) => /application name "df-01" is already used at spec\.segments\[0\]\.apps\[0\]/.test(x.message)));
    assert.ok(p.some((x) => /port 3401 on 127\.0\.0\.1 is also given to app "df-01"/.test(x.message) && x.line === 21));
  });

  it('rejects bad durations, ports and names with the field path', () => {
    const p = problemsOf(GOOD.replace('boot: 1m', 'boot: soon').replace('port: 3401', 'port: 70000').replace('name: coldbox', 'name: Cold_Box'));
    const fields = p.map((x) => x.field).sort();
    assert.deepEqual(fields, ['metadata.name', 'spec.segments[0].apps[0].port', 'spec.timeouts.boot']);
    assert.match(p.find((x) => x.field === 'spec.timeouts.boot')!.message, /"soon" is not a duration/);
  });

  it('rejects an order that names something that is not a child', () => {
    const p = problemsOf(GOOD.replace('start: [[dataflow], [readout]]', 'start: [[dataflow], [redout]]'));
    assert.match(p[0].message, /"redout" is not a child of coldbox/);
    assert.equal(p[0].line, 26);
  });

  it('reports YAML syntax errors with their position and does not throw anything else', () => {
    const p = problemsOf('apiVersion: baton.dev/v1alpha1\nkind: RunConfig\nspec: {a: [1, 2}\n');
    assert.ok(p.length >= 1);
    assert.equal(p[0].code, 'yaml-syntax');
    assert.equal(p[0].line, 3);
  });

  it('rejects duplicate keys (a silent override would hide a mistake)', () => {
    const p = problemsOf(GOOD.replace('  timeouts: {default: 30s, boot: 1m}\n', '  timeouts: {default: 30s}\n  timeouts: {boot: 1m}\n'));
    assert.equal(p[0].code, 'duplicate-key');
    assert.match(p[0].message, /[Mm]ap keys must be unique/);
    assert.equal(p[0].line, 12);
  });

  it('refuses exactly when the validator reports an error, at the same places', () => {
    const warned = GOOD.replace('start: [[dataflow], [readout]]', 'start: [[dataflow]]');
    assert.ok(validateRunConfig(warned).some((d) => d.severity === 'warning'));
    assert.equal(parseRunConfig(warned).root.children.length, 2);
    const bad = GOOD.replace('port: 3401', 'port: 70000').replace('  timeouts: {', '  timeout: {');
    const errors = validateRunConfig(bad).filter((d) => d.severity === 'error');
    assert.deepEqual(problemsOf(bad).map((p) => [p.line, p.column, p.code]), errors.map((d) => [d.range.start.line + 1, d.range.start.character + 1, d.code]));
  });

  it('resolves spec.hosts names to their addresses', () => {
    const c = parseRunConfig(GOOD.replace('spec:\n', 'spec:\n  hosts: {daq-01: 10.0.0.11}\n').replace('    - name: readout\n', '    - name: readout\n      host: daq-01\n'));
    const ru = (c.root.children[1] as { children: Array<{ host: string }> }).children[0];
    assert.equal(ru.host, '10.0.0.11');
  });

  it('loads a missing file as a clear error', () => {
    assert.throws(() => loadRunConfig('/nonexistent/x.baton.yaml'), /x\.baton\.yaml:1:1: cannot read file/);
  });

  it('parses durations', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration(2), 2000);
    assert.equal(parseDuration('2'), 2000);
    assert.equal(parseDuration('2x'), undefined);
    assert.equal(parseDuration('s'), undefined);
  });
});
