import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'yaml';
import { importCommand } from '../../../src/cli/import-command';
import { importNanorc, NanorcImportError } from '../../../src/core/config/import/nanorc';
import { parseRunConfig } from '../../../src/core/config/load';
import type { AppConfig, RunConfig, SegmentConfig } from '../../../src/core/config/types';

const FIXTURES = path.resolve(__dirname, '../../fixtures/nanorc');
const COLDBOX = path.join(FIXTURES, 'coldbox');

function apps(seg: SegmentConfig): AppConfig[] {
  return seg.children.flatMap((c) => (c.kind === 'app' ? [c] : apps(c)));
}

function app(config: RunConfig, name: string): AppConfig {
  const found = apps(config.root).find((a) => a.name === name);
  assert.ok(found, `no app ${name}`);
  return found;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function expectImportError(dir: string, file: RegExp, field: string, message: RegExp): void {
  assert.throws(
    () => importNanorc(dir),
    (e: unknown) => {
      assert.ok(e instanceof NanorcImportError, String(e));
      assert.match(e.file, file);
      assert.equal(e.field, field);
      assert.match(e.message, message);
      return true;
    },
  );
}

describe('import: nanorc configuration directory', () => {
  let yaml: string;
  let warnings: string[];
  let config: RunConfig;
  before(() => {
    ({ yaml, warnings } = importNanorc(COLDBOX));
    config = parseRunConfig(yaml, 'coldbox.baton.yaml');
  });

  it('produces a RunConfig that the project reader accepts, named after the directory', () => {
    assert.equal(config.name, 'coldbox');
    assert.equal(config.backend, 'local');
    assert.match(yaml, /^# Imported by `baton import nanorc` from .*coldbox/);
    assert.deepEqual(config.root.children.map((c) => c.name), ['coldbox']);
  });

  it('imports every app with its port and the address of its host', () => {
    assert.deepEqual(apps(config.root).map((a) => [a.name, a.host, a.port, a.exec]), [
      ['dataflow0', 'np04-srv-001', 3334, 'daq_application_ssh'],
      ['dfo', 'np04-srv-001', 3333, 'daq_application_ssh'],
      ['ru-apa1', 'np04-srv-002', 3335, 'daq_application_ssh'],
    ]);
    assert.ok(warnings.some((w) => /"ru_apa1" renamed to "ru-apa1"/.test(w)));
  });

  it('turns the exec profile into an exec: command, args with Baton placeholders, env with getenv forms kept', () => {
    const exec = config.execs.daq_application_ssh;
    assert.deepEqual(exec.command, ['daq_application']);
    assert.deepEqual(exec.args.slice(0, 6), ['--name', '{name}', '-c', 'rest://localhost:{port}', '-i', 'file://info_{name}_{port}.json']);
    assert.equal(exec.args[6], '--configurationService');
    assert.equal(exec.args[7], `file://${path.join(COLDBOX, 'data')}`);
    assert.deepEqual(exec.env, {
      DUNEDAQ_ERS_DEBUG_LEVEL: 'getenv_ifset',
      DUNEDAQ_ERS_ERROR: 'erstrace,throttle,lstdout',
      DUNEDAQ_ERS_VERBOSITY_LEVEL: 'getenv:1',
      DUNEDAQ_PARTITION: '{session}',
      CMD_FAC: 'rest://localhost:{port}',
      INFO_SVC: 'file://info_{name}_{port}.json',
      LD_LIBRARY_PATH: 'getenv',
      PATH: 'getenv',
      TRACE_FILE: 'getenv:/tmp/trace_buffer_{host}_{session}',
    });
  });

  it('puts data/<app>_<cmd>.json into the app commands, matching app names that contain "_"', () => {
    assert.deepEqual(Object.keys(app(config, 'dfo').commands), ['conf', 'start']);
    assert.deepEqual(app(config, 'dfo').commands.start, { modules: [{ data: { run: 0, trigger_interval_ticks: 62500000 }, match: '' }] });
    assert.deepEqual(Object.keys(app(config, 'dataflow0').commands), ['conf']);
    const ru = app(config, 'ru-apa1');
    assert.deepEqual(Object.keys(ru.commands), ['conf', 'start']);
    assert.deepEqual((ru.commands.conf.modules as unknown[])[0], { data: { link_count: 10, emulator_mode: true }, match: '' });
  });

  it('resolves connection hosts from hosts-data, as nanorc did before sending', () => {
    const connections = app(config, 'ru-apa1').commands.conf.connections as Array<{ uri: string }>;
    assert.deepEqual(connections.map((c) => c.uri), ['tcp://np04-srv-001-100g:12345', 'queue://FollySPSC:1000']);
  });

  it('warns about what it leaves out instead of dropping it silently', () => {
    const expect = [/boot\.json: unknown field "mystery_option"/, /ru_apa1_init\.json: init data left out/, /hsi_conf\.json: does not start with an app/, /\{CONF_LOC\}/, /DUNEDAQ_PARTITION/];
    for (const re of expect) assert.ok(warnings.some((w) => re.test(w)), `no warning ${re}: ${warnings.join('\n')}`);
    for (const w of warnings) assert.ok(yaml.includes(w), `warning not in the header: ${w}`);
    // Relative paths: the header should not leak where the importer ran.
    assert.ok(warnings.every((w) => !w.startsWith(FIXTURES)));
  });
});

describe('import: nanorc top-level file with two configurations', () => {
  it('makes one segment per configuration, command_order the root order, v1 command files the segment order', () => {
    const { yaml, warnings } = importNanorc(FIXTURES);
    const config = parseRunConfig(yaml, 'np04.baton.yaml');
    assert.equal(config.name, 'np04-coldbox');
    assert.deepEqual(config.root.children.map((c) => c.name), ['coldbox', 'timing']);
    assert.deepEqual(config.root.order, { start: [['timing'], ['coldbox']] });
    const timing = config.root.children[1] as SegmentConfig;
    assert.deepEqual(timing.order, { conf: [['timing-master']] });
    const master = app(config, 'timing-master');
    assert.equal(master.host, 'localhost');
    assert.equal(master.port, 3340);
    assert.equal(master.exec, 'timing_app');
    assert.deepEqual(master.commands.conf, { modules: [{ data: { endpoint_id: 0, fanout_mode: -1 }, match: 'thi' }] });
    assert.deepEqual(config.execs.timing_app.env, { DUNEDAQ_ERS_VERBOSITY_LEVEL: '1', PATH: 'getenv', TIMING_SHARE: 'getenv:/opt/timing' });
    assert.ok(warnings.some((w) => /apparatus_id "np04_coldbox" renamed/.test(w)));
  });

  it('accepts the path of the top-level file itself', () => {
    const { yaml } = importNanorc(path.join(FIXTURES, 'top_level.json'));
    assert.equal((parse(yaml) as { metadata: { name: string } }).metadata.name, 'np04-coldbox');
  });
});

describe('import: nanorc input that cannot be imported', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'baton-nanorc-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const copy = (): string => {
    const dir = path.join(tmp, 'conf');
    cpSync(COLDBOX, dir, { recursive: true });
    return dir;
  };
  interface Boot {
    apps: Record<string, { exec?: unknown; host?: unknown; port?: unknown }>;
    exec?: unknown;
  }
  const editBoot = (dir: string, edit: (boot: Boot) => void) => {
    const file = path.join(dir, 'boot.json');
    const boot = JSON.parse(readFileSync(file, 'utf8')) as Boot;
    edit(boot);
    writeFileSync(file, JSON.stringify(boot));
  };

  it('a directory without boot.json', () => {
    mkdirSync(path.join(tmp, 'empty'));
    expectImportError(path.join(tmp, 'empty'), /empty[/\\]boot\.json$/, '', /not found/);
  });

  it('a directory that does not exist', () => {
    expectImportError(path.join(tmp, 'nope'), /nope$/, '', /cannot read: ENOENT/);
  });

  it('boot.json that is not JSON', () => {
    const dir = copy();
    writeFileSync(path.join(dir, 'boot.json'), '{"apps": {');
    expectImportError(dir, /boot\.json$/, '', /invalid JSON/);
  });

  it('a data file that is not JSON names that file', () => {
    const dir = copy();
    writeFileSync(path.join(dir, 'data', 'dfo_conf.json'), 'not json');
    expectImportError(dir, /data[/\\]dfo_conf\.json$/, '', /invalid JSON/);
  });

  it('an app whose exec profile or host is unknown, or whose port is not a number', () => {
    let dir = copy();
    editBoot(dir, (b) => (b.apps.dfo.exec = 'daq_app'));
    expectImportError(dir, /boot\.json$/, 'apps.dfo.exec', /"daq_app" is not an exec profile \(known: daq_application_ssh\)/);
    rmSync(dir, { recursive: true });
    dir = copy();
    editBoot(dir, (b) => (b.apps.dfo.host = 'host_xx'));
    expectImportError(dir, /boot\.json$/, 'apps.dfo.host', /"host_xx" is not in hosts-ctrl \(known: host_df, host_ru\)/);
    rmSync(dir, { recursive: true });
    dir = copy();
    editBoot(dir, (b) => (b.apps.dfo.port = '3333'));
    expectImportError(dir, /boot\.json$/, 'apps.dfo.port', /must be a port number/);
  });

  it('boot.json without apps or exec', () => {
    const dir = copy();
    editBoot(dir, (b) => delete b.exec);
    expectImportError(dir, /boot\.json$/, 'exec', /exec profile names/);
  });

  it('a top-level file naming a directory that is not a configuration', () => {
    writeFileSync(path.join(tmp, 'top_level.json'), JSON.stringify({ apparatus_id: 'x', daq: 'missing' }));
    expectImportError(tmp, /top_level\.json$/, 'daq', /not a nanorc configuration directory/);
  });
});

describe('import: baton import nanorc (CLI)', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'baton-import-cli-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('prints the YAML to stdout without -o, warnings to stderr', async () => {
    const out = capture();
    const err = capture();
    assert.equal(await importCommand({ kind: 'nanorc', dir: COLDBOX, out: out.stream, err: err.stream }), 0);
    assert.equal(parseRunConfig(out.text()).name, 'coldbox');
    assert.match(err.text(), /baton import: warning: .*mystery_option/);
  });

  it('writes -o FILE, refuses to overwrite it without --force, and leaves no temporary file', async () => {
    const file = path.join(tmp, 'coldbox.baton.yaml');
    const run = (force?: boolean) => importCommand({ kind: 'nanorc', dir: COLDBOX, output: file, force, out: capture().stream, err: capture().stream });
    assert.equal(await run(), 0);
    const first = readFileSync(file, 'utf8');
    assert.equal(parseRunConfig(first, file).name, 'coldbox');
    writeFileSync(file, 'mine');
    const err = capture();
    assert.equal(await importCommand({ kind: 'nanorc', dir: COLDBOX, output: file, out: capture().stream, err: err.stream }), 2);
    assert.match(err.text(), /exists; nothing written \(use --force/);
    assert.equal(readFileSync(file, 'utf8'), 'mine');
    assert.equal(await run(true), 0);
    assert.equal(readFileSync(file, 'utf8'), first);
    assert.deepEqual(readdirSync(tmp), ['coldbox.baton.yaml']);
  });

  it('exits 2 naming the file and field on bad input, and on an unknown kind', async () => {
    mkdirSync(path.join(tmp, 'conf'));
    writeFileSync(path.join(tmp, 'conf', 'boot.json'), JSON.stringify({ apps: { a: { exec: 'x', host: 'h', port: 1 } }, exec: {} }));
    const err = capture();
    const file = path.join(tmp, 'out.baton.yaml');
    assert.equal(await importCommand({ kind: 'nanorc', dir: path.join(tmp, 'conf'), output: file, out: capture().stream, err: err.stream }), 2);
    assert.match(err.text(), /conf[/\\]boot\.json: apps\.a\.exec: "x" is not an exec profile/);
    assert.ok(!existsSync(file));
    const err2 = capture();
    assert.equal(await importCommand({ kind: 'drunc', dir: tmp, out: capture().stream, err: err2.stream }), 2);
    assert.match(err2.text(), /unknown kind "drunc"/);
  });
});
