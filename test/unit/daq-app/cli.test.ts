import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ResponseListener, sendCommand, tcpPing } from '../../../src/core/protocol';
import { parseDaqAppArgs, parseRestUri, UsageError } from '../../../src/daq-app/cli-args';
import { waitFor } from '../backends/helpers';
import { closedPort, sleep } from '../protocol/helpers';

describe('daq-app command line (parsing)', () => {
  it('parses daq_application\'s options and ignores -i/--configurationService/-d', () => {
    const a = parseDaqAppArgs(['--name', 'ru-01', '-c', 'rest://localhost:3333', '-i', 'kafka://x', '--configurationService', 'file://c.json', '-d', 'x']);
    assert.equal(a.name, 'ru-01');
    assert.equal(a.host, 'localhost');
    assert.equal(a.bindHost, '127.0.0.1');
    assert.equal(a.port, 3333);
    assert.deepEqual(a.sim, {});
  });

  it('parses the simulation flags', () => {
    const a = parseDaqAppArgs([
      '--name', 'x', '-c', 'rest://127.0.0.1:0',
      '--delay-ms', '10', '--delay', 'conf=200', '--delay', 'start=5',
      '--fail-on', 'start=cannot open socket', '--fail-on', 'stop',
      '--crash-on', 'scrap', '--hang-on', 'drain_dataflow',
      '--exit-after-ms', '500', '--startup-delay-ms', '100', '--farm', '4', '--log-level', 'debug',
    ]);
    assert.deepEqual(a.sim, {
      delayMs: 10,
      delays: { conf: 200, start: 5 },
      failOn: { start: 'cannot open socket', stop: 'simulated failure of "stop"' },
      crashOn: ['scrap'],
      hangOn: ['drain_dataflow'],
    });
    assert.equal(a.exitAfterMs, 500);
    assert.equal(a.startupDelayMs, 100);
    assert.equal(a.farm, 4);
    assert.equal(a.logLevel, 'debug');
  });

  it('rejects bad arguments with a UsageError', () => {
    const bad: string[][] = [
      [],
      ['--name', 'x'],
      ['-c', 'rest://h:1'],
      ['--name', 'x', '-c', 'http://h:1'],
      ['--name', 'x', '-c', 'rest://h:99999'],
      ['--name', 'x', '-c', 'rest://h:1', '--delay-ms', 'soon'],
      ['--name', 'x', '-c', 'rest://h:1', '--delay', 'conf'],
      ['--name', 'x', '-c', 'rest://h:1', '--farm', '0'],
      ['--name', 'x', '-c', 'rest://h:65535', '--farm', '2'],
      ['--name', 'x', '-c', 'rest://h:1', '--bogus'],
      ['--name', 'x', '-c', 'rest://h:1', '--log-level', 'loud'],
    ];
    for (const argv of bad) assert.throws(() => parseDaqAppArgs(argv), UsageError, argv.join(' '));
  });

  it('parses rest:// URIs, IPv6 included', () => {
    assert.deepEqual(parseRestUri('rest://[::1]:8080'), { host: '::1', port: 8080 });
    assert.deepEqual(parseRestUri('rest://np04-srv-001:3333/'), { host: 'np04-srv-001', port: 3333 });
  });
});

describe('baton-daq-app (child process of the bundled app)', function () {
  this.timeout(30_000);
  let dir: string;
  let bundle: string;
  const children: ChildProcess[] = [];
  let listener: ResponseListener | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-daq-app-test-'));
    bundle = join(dir, 'daq-app.js');
    await esbuild.build({ entryPoints: ['src/daq-app/main.ts'], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: bundle, logLevel: 'warning' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await new Promise((r) => c.once('exit', r));
      }
    }
    await listener?.close();
    listener = undefined;
  });

  interface Run {
    child: ChildProcess;
    stdout: () => string;
    stderr: () => string;
    exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  }
  function start(args: string[]): Run {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    return { child, stdout: () => out, stderr: () => err, exit };
  }

  it('--name/-c: listens on the given port, replies as NAME, logs ISO-stamped lines; SIGTERM exits 0', async () => {
    const port = await closedPort();
    const run = start(['--name', 'solo', '-c', `rest://localhost:${port}`, '-i', 'x', '--configurationService', 'y']);
    await waitFor(() => run.stdout().includes('listening on'), 10_000, 'listening');
    listener = await ResponseListener.start();
    const r = await sendCommand(listener, { host: '127.0.0.1', port }, 'solo', { id: 'conf', data: {}, entry_state: 'INITIAL', exit_state: 'CONFIGURED' }, { postTimeoutMs: 2000, replyTimeoutMs: 2000 });
    assert.equal(r.success, true);
    assert.equal(r.appname, 'solo');
    await waitFor(() => run.stdout().includes('"conf" done'), 10_000, 'log of the command');
    for (const line of run.stdout().trim().split('\n')) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|DEBUG) \[solo\] /);
    run.child.kill('SIGTERM');
    assert.deepEqual(await run.exit, { code: 0, signal: null });
  });

  it('--farm N with port 0: exactly one JSON line on stdout; every member answers', async () => {
    const run = start(['--name', 'fa', '-c', 'rest://127.0.0.1:0', '--farm', '5']);
    await waitFor(() => run.stdout().includes('\n'), 10_000, 'farm line');
    await sleep(100);
    const lines = run.stdout().split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1);
    const { farm } = JSON.parse(lines[0]) as { farm: Array<{ name: string; port: number }> };
    assert.deepEqual(farm.map((m) => m.name), ['fa-0000', 'fa-0001', 'fa-0002', 'fa-0003', 'fa-0004']);
    assert.equal(new Set(farm.map((m) => m.port)).size, 5);
    listener = await ResponseListener.start();
    const l = listener;
    const replies = await Promise.all(farm.map((m) => sendCommand(l, { host: '127.0.0.1', port: m.port }, m.name, { id: 'conf', data: {} }, { postTimeoutMs: 2000, replyTimeoutMs: 2000 })));
    assert.deepEqual(replies.map((r) => r.appname), farm.map((m) => m.name));
    run.child.kill('SIGINT');
    assert.equal((await run.exit).code, 0);
  });

  it('--exit-after-ms: dies on its own with exit code 3', async () => {
    const run = start(['--name', 'short', '-c', 'rest://127.0.0.1:0', '--exit-after-ms', '300']);
    const t0 = Date.now();
    assert.deepEqual(await run.exit, { code: 3, signal: null });
    assert.ok(Date.now() - t0 >= 250);
    assert.match(run.stderr(), /simulated death/);
  });

  it('--crash-on CMD: the process exits 1 on that command', async () => {
    const port = await closedPort();
    const run = start(['--name', 'crashy', '-c', `rest://127.0.0.1:${port}`, '--crash-on', 'start']);
    await waitFor(() => run.stdout().includes('listening on'), 10_000, 'listening');
    listener = await ResponseListener.start();
    const p = sendCommand(listener, { host: '127.0.0.1', port }, 'crashy', { id: 'start', data: {} }, { postTimeoutMs: 2000, replyTimeoutMs: 10_000 });
    const l = listener;
    // What the controller does when its process watcher sees the exit:
    void run.exit.then(() => l.failPending('crashy', 'process exited'));
    await assert.rejects(p, { kind: 'dead' });
    assert.equal((await run.exit).code, 1);
    assert.match(run.stderr(), /CRASH/);
  });

  it('--startup-delay-ms: the port opens only after the delay', async () => {
    const port = await closedPort();
    const run = start(['--name', 'late', '-c', `rest://127.0.0.1:${port}`, '--startup-delay-ms', '600']);
    await sleep(200);
    assert.equal(await tcpPing('127.0.0.1', port, 300), false);
    await waitFor(() => run.stdout().includes('listening on'), 10_000, 'listening');
    assert.equal(await tcpPing('127.0.0.1', port), true);
  });

  it('bad arguments: message and exit code 2', async () => {
    const run = start(['--name', 'x', '-c', 'tcp://nowhere']);
    assert.equal((await run.exit).code, 2);
    assert.match(run.stderr(), /rest:\/\/HOST:PORT/);
  });

  it('a port already in use: message and exit code 1', async () => {
    const port = await closedPort();
    const first = start(['--name', 'a', '-c', `rest://127.0.0.1:${port}`]);
    await waitFor(() => first.stdout().includes('listening on'), 10_000, 'listening');
    const second = start(['--name', 'b', '-c', `rest://127.0.0.1:${port}`]);
    assert.equal((await second.exit).code, 1);
    assert.match(second.stderr(), /EADDRINUSE/);
  });
});
