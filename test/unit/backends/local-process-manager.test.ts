import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { AppProcessInfo } from '../../../src/core/backends/process-manager';
import { LocalProcessManager } from '../../../src/core/backends/local/local-process-manager';
import { isProcessAlive, readProcessStart } from '../../../src/core/util/process-info';
import {
  FAILS_AT_BOOT,
  LISTEN,
  LISTEN_GRACEFUL,
  LISTEN_IGNORE_TERM,
  LISTEN_WITH_GRANDCHILD,
  NEVER_LISTENS,
  PidTracker,
  escapeBraces,
  makeTempDir,
  nodeApp,
  waitFor,
  waitForLogLine,
} from './helpers';

const BOOT = { timeoutMs: 10_000 };

describe('LocalProcessManager', function () {
  let dir: string;
  let sessionDir: string;
  let manager: LocalProcessManager;
  const pids = new PidTracker();
  const exits: AppProcessInfo[] = [];

  beforeEach(async () => {
    dir = await makeTempDir();
    sessionDir = path.join(dir, '.baton', 'sessions', 'coldbox');
    manager = new LocalProcessManager({ session: 'coldbox', sessionDir });
    exits.length = 0;
    manager.onExit((info) => exits.push(info));
  });

  afterEach(async () => {
    for (const info of manager.list()) pids.add(info.pid);
    await manager.dispose();
    await pids.assertAllDead();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  it('starts an app without a shell, waits for its port and logs its output', async () => {
    const spec = nodeApp('df-01', LISTEN, 0, {
      args: ['-e', escapeBraces(LISTEN), '{port}', '{name}@{session}', '$HOME;echo'],
      env: { GREETING: 'hi {name} on {host}:{port}' },
    });
    const info = await manager.start(spec, BOOT);
    pids.add(info.pid);
    assert.equal(info.alive, true);
    assert.equal(info.name, 'df-01');
    assert.equal(info.host, '127.0.0.1');
    assert.ok(info.port > 0, 'a port was allocated');
    assert.equal(info.pgid, info.pid, 'the app leads its own process group');
    assert.equal(info.logFile, path.join(sessionDir, 'logs', 'df-01.log'));

    // It really answers on that port.
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(info.port, '127.0.0.1', () => (s.end(), resolve()));
      s.once('error', reject);
    });

    const log = await waitForLogLine(info.logFile!, /listening on \d+/);
    assert.equal(log[0], `listening on ${info.port}`);
    const text = fs.readFileSync(info.logFile!, 'utf8');
    assert.match(text, /^--- baton: \S+ starting "df-01" \(session coldbox, port \d+\)/);
    // Placeholders expanded; shell syntax passed through untouched (no shell).
    assert.ok(text.includes(`argv ${JSON.stringify([String(info.port), 'df-01@coldbox', '$HOME;echo'])}`), text);
    // The environment is exactly the configured one, placeholders expanded.
    assert.ok(text.includes(`env ${JSON.stringify({ GREETING: `hi df-01 on 127.0.0.1:${info.port}` })}`), text);

    assert.deepEqual(manager.info('df-01')?.alive, true);
    assert.equal(manager.list().length, 1);
  });

  it('appends to the log across restarts and quotes only the latest run', async () => {
    const first = await manager.start(nodeApp('app', LISTEN), BOOT);
    pids.add(first.pid);
    await manager.stop('app', { graceMs: 1000 });
    const second = await manager.start(nodeApp('app', LISTEN), BOOT);
    pids.add(second.pid);
    await waitForLogLine(second.logFile!, new RegExp(`listening on ${second.port}`));
    const starts = fs.readFileSync(second.logFile!, 'utf8').match(/--- baton:/g);
    assert.equal(starts?.length, 2);
  });

  it('uses a fixed port when it is free', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const info = await manager.start(nodeApp('fixed', LISTEN, port), BOOT);
    pids.add(info.pid);
    assert.equal(info.port, port);
  });

  it('refuses a fixed port that is already taken, starting nothing', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(manager.start(nodeApp('df-01', LISTEN, port), BOOT), {
        message: `application "df-01": port ${port} on 127.0.0.1 is already in use`,
      });
      assert.equal(manager.list().length, 0, 'nothing was started');
      assert.equal(fs.existsSync(path.join(sessionDir, 'logs', 'df-01.log')), false);
    } finally {
      blocker.close();
    }
  });

  it('reports an executable that is not found, naming the PATH searched', async () => {
    const spec = { ...nodeApp('ghost', LISTEN), command: 'no-such-daq-app', env: { PATH: '/nonexistent/bin' } };
    await assert.rejects(manager.start(spec, BOOT), {
      message: 'application "ghost": executable "no-such-daq-app" not found (searched PATH of its environment: /nonexistent/bin)',
    });
    const noPath = { ...nodeApp('ghost2', LISTEN), command: 'no-such-daq-app' };
    await assert.rejects(manager.start(noPath, BOOT), /its environment has no PATH.*PATH: getenv/);
    assert.equal(manager.list().length, 0);
  });

  it('reports a file that is not executable', async () => {
    const file = path.join(dir, 'not-executable');
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    await assert.rejects(manager.start({ ...nodeApp('x', LISTEN), command: file }, BOOT), /executable ".*not-executable" cannot be run \(permission denied/);
  });

  it('reports unknown placeholders before starting anything', async () => {
    const spec = nodeApp('df-01', LISTEN, 0, { args: ['-e', escapeBraces(LISTEN), '{prot}'] });
    await assert.rejects(manager.start(spec, BOOT), {
      message: 'application "df-01" args[2]: unknown placeholder {prot}; known: name, host, port, session',
    });
    assert.equal(manager.list().length, 0);
  });

  it('rejects names that could escape the log directory', async () => {
    await assert.rejects(manager.start(nodeApp('../evil', LISTEN), BOOT), /application name "..\/evil" is not allowed/);
  });

  it('reports an app that exits during boot with its exit code and log tail', async () => {
    const err = await manager.start(nodeApp('bad', FAILS_AT_BOOT), BOOT).then(
      () => assert.fail('should not start'),
      (e: Error) => e,
    );
    assert.match(err.message, /^application "bad" exited with code 3 before answering on 127\.0\.0\.1:\d+; last lines of .*bad\.log:/);
    assert.match(err.message, /\n {4}reading configuration\n {4}fatal: configuration key "foo" is missing$/);
    const info = manager.info('bad')!;
    pids.add(info.pid);
    assert.equal(info.alive, false);
    assert.equal(info.exitCode, 3);
    assert.equal(info.expected, false);
    assert.equal(exits.length, 1);
    assert.equal(exits[0].name, 'bad');
  });

  it('kills the whole group when the app never answers within the boot timeout', async () => {
    const err = await manager.start(nodeApp('slow', NEVER_LISTENS), { timeoutMs: 400 }).then(
      () => assert.fail('should time out'),
      (e: Error) => e,
    );
    assert.match(err.message, /^application "slow" did not answer on 127\.0\.0\.1:\d+ within 400 ms \(boot timeout\); killed it/);
    const info = manager.info('slow')!;
    pids.add(info.pid);
    assert.equal(info.alive, false);
    assert.equal(isProcessAlive(info.pid!), false);
    assert.equal(info.signal, 'SIGKILL');
    assert.equal(info.expected, true);
    assert.match(info.reason!, /did not answer .* killed by Baton/);
  });

  it('aborts a start on request and kills what it started', async () => {
    const ac = new AbortController();
    const pending = manager.start(nodeApp('aborted', NEVER_LISTENS), { timeoutMs: 10_000, signal: ac.signal });
    await waitFor(() => manager.info('aborted')?.alive === true, 5000, 'the app to be spawned');
    ac.abort();
    await assert.rejects(pending, /application "aborted": start aborted; killed it/);
    const info = manager.info('aborted')!;
    pids.add(info.pid);
    assert.equal(info.alive, false);
  });

  it('refuses to start an app twice', async () => {
    const info = await manager.start(nodeApp('once', LISTEN), BOOT);
    pids.add(info.pid);
    await assert.rejects(manager.start(nodeApp('once', LISTEN), BOOT), /application "once" is already running \(pid \d+\)/);
  });

  it('stop: SIGTERM to the group, honoured within the grace', async () => {
    const info = await manager.start(nodeApp('polite', LISTEN_GRACEFUL), BOOT);
    pids.add(info.pid);
    await waitForLogLine(info.logFile!, /listening on/);
    const stopped = await manager.stop('polite', { graceMs: 5000 });
    assert.equal(stopped?.alive, false);
    assert.equal(stopped?.exitCode, 0);
    assert.equal(stopped?.expected, true);
    assert.match(stopped!.reason!, /^stopped by Baton \(exit code 0\)$/);
    assert.equal(isProcessAlive(info.pid!), false);
    assert.match(fs.readFileSync(info.logFile!, 'utf8'), /SIGTERM received, exiting/);
    assert.equal(exits.length, 1);
    assert.equal(exits[0].expected, true);
  });

  it('stop: SIGKILL after the grace when SIGTERM is ignored', async () => {
    const info = await manager.start(nodeApp('stubborn', LISTEN_IGNORE_TERM), BOOT);
    pids.add(info.pid);
    await waitForLogLine(info.logFile!, /listening on/);
    const t0 = Date.now();
    const stopped = await manager.stop('stubborn', { graceMs: 300 });
    assert.ok(Date.now() - t0 >= 290, 'waited for the grace');
    assert.equal(stopped?.signal, 'SIGKILL');
    assert.equal(stopped?.expected, true);
    assert.match(stopped!.reason!, /still running 300 ms after SIGTERM, killed \(signal SIGKILL\)/);
    assert.equal(isProcessAlive(info.pid!), false);
    await waitForLogLine(info.logFile!, /SIGTERM ignored/);
  });

  it('stop and kill kill grandchildren with the group', async () => {
    const a = await manager.start(nodeApp('parent-a', LISTEN_WITH_GRANDCHILD), BOOT);
    const b = await manager.start(nodeApp('parent-b', LISTEN_WITH_GRANDCHILD), BOOT);
    const ga = Number((await waitForLogLine(a.logFile!, /grandchild (\d+)/))[1]);
    const gb = Number((await waitForLogLine(b.logFile!, /grandchild (\d+)/))[1]);
    pids.add(a.pid, b.pid, ga, gb);
    assert.ok(isProcessAlive(ga) && isProcessAlive(gb));

    // a: the leader exits on SIGTERM but its grandchild ignores it: still killed.
    await manager.stop('parent-a', { graceMs: 2000 });
    assert.equal(isProcessAlive(ga), false, 'grandchild of a stopped app');
    await manager.kill('parent-b');
    assert.equal(isProcessAlive(gb), false, 'grandchild of a killed app');
  });

  it('onExit fires at once for an unexpected death (expected=false)', async () => {
    const info = await manager.start(nodeApp('victim', LISTEN), BOOT);
    pids.add(info.pid);
    const exited = new Promise<AppProcessInfo>((resolve) => manager.onExit(resolve));
    process.kill(info.pid!, 'SIGKILL');
    // Reported by the child's exit event, not a poll; the suite's timeout is the guard.
    const ex = await exited;
    assert.equal(ex.name, 'victim');
    assert.equal(ex.alive, false);
    assert.equal(ex.expected, false);
    assert.equal(ex.signal, 'SIGKILL');
    assert.equal(ex.exitCode, null);
    assert.equal(ex.reason, 'exited unexpectedly (signal SIGKILL)');
    assert.equal(manager.info('victim')?.alive, false);
  });

  it('unsubscribed listeners are not called', async () => {
    let calls = 0;
    const off = manager.onExit(() => calls++);
    off();
    const info = await manager.start(nodeApp('quiet', LISTEN), BOOT);
    pids.add(info.pid);
    await manager.kill('quiet');
    assert.equal(calls, 0);
    assert.equal(exits.length, 1);
    assert.match(exits[0].reason!, /^killed by Baton \(signal SIGKILL\)$/);
  });

  it('keeps processes.json up to date on every start and exit', async () => {
    const recordFile = path.join(sessionDir, 'processes.json');
    const a = await manager.start(nodeApp('df-01', LISTEN), BOOT);
    const b = await manager.start(nodeApp('df-02', LISTEN), BOOT);
    pids.add(a.pid, b.pid);
    const rec = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
    assert.equal(rec.version, 1);
    assert.equal(rec.session, 'coldbox');
    assert.equal(rec.ownerPid, process.pid);
    assert.deepEqual(
      rec.apps.map((x: { name: string }) => x.name),
      ['df-01', 'df-02'],
    );
    const r = rec.apps[0];
    assert.deepEqual(r, {
      name: 'df-01',
      pid: a.pid,
      pgid: a.pid,
      host: '127.0.0.1',
      port: a.port,
      logFile: a.logFile,
      startedAt: a.startedAt,
      processStart: readProcessStart(a.pid!),
      command: process.execPath,
      args: ['-e', LISTEN, String(a.port)],
    });
    assert.deepEqual(await LocalProcessManager.readRecord(sessionDir), rec);

    // An unexpected death is recorded too, without anyone calling stop.
    process.kill(b.pid!, 'SIGKILL');
    await waitFor(
      () => JSON.parse(fs.readFileSync(recordFile, 'utf8')).apps.length === 1,
      3000,
      'the record to drop df-02',
    );
    await manager.stop('df-01', { graceMs: 1000 });
    await waitFor(() => JSON.parse(fs.readFileSync(recordFile, 'utf8')).apps.length === 0, 3000, 'an empty record');
    // No temporary files left behind by atomic writes.
    assert.deepEqual(fs.readdirSync(sessionDir).sort(), ['logs', 'processes.json']);
  });

  it('dispose kills everything and awaits the exits', async () => {
    const a = await manager.start(nodeApp('a', LISTEN_IGNORE_TERM), BOOT);
    const b = await manager.start(nodeApp('b', LISTEN), BOOT);
    pids.add(a.pid, b.pid);
    await manager.dispose();
    assert.equal(isProcessAlive(a.pid!), false);
    assert.equal(isProcessAlive(b.pid!), false);
    assert.ok(manager.list().every((i) => !i.alive && i.expected));
    await assert.rejects(manager.start(nodeApp('c', LISTEN), BOOT), /disposed/);
  });

  it('dispose during a start kills the booting app and fails the start', async () => {
    const pending = manager.start(nodeApp('booting', NEVER_LISTENS), { timeoutMs: 10_000 });
    await waitFor(() => manager.info('booting')?.alive === true, 5000, 'the app to be spawned');
    const pid = manager.info('booting')!.pid!;
    pids.add(pid);
    await manager.dispose();
    await assert.rejects(pending, /^Error: application "booting" was killed by signal SIGKILL \(killed by Baton \(shutdown\)\) before answering/);
    assert.equal(isProcessAlive(pid), false);
  });

  it('stop/kill of an unknown app resolve to undefined', async () => {
    assert.equal(await manager.stop('nope', { graceMs: 10 }), undefined);
    assert.equal(await manager.kill('nope'), undefined);
    assert.equal(manager.info('nope'), undefined);
  });
});
