import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { AppProcessInfo } from '../../../src/core/backends/process-manager';
import { LocalProcessManager, type LocalAppProcessInfo } from '../../../src/core/backends/local/local-process-manager';
import { isProcessAlive, readProcessStart } from '../../../src/core/util/process-info';
import { LISTEN, LISTEN_GRACEFUL, LISTEN_IGNORE_TERM, PidTracker, TSX_CJS, makeTempDir, nodeApp, waitFor } from './helpers';

const execFileP = promisify(execFile);
const BOOT = { timeoutMs: 10_000 };

/** Start apps from a separate Node process that then exits: a real "previous Baton". */
async function startInOtherProcess(sessionDir: string, script: string, ...names: string[]): Promise<LocalAppProcessInfo[]> {
  const fixture = path.join(__dirname, 'fixtures', 'start-and-detach.ts');
  const { stdout } = await execFileP(process.execPath, ['-r', TSX_CJS, fixture, sessionDir, 'coldbox', script, ...names], {
    timeout: 30_000,
  });
  return JSON.parse(stdout) as LocalAppProcessInfo[];
}

describe('LocalProcessManager: adopt and cleanup (a later Baton process)', function () {
  let dir: string;
  let sessionDir: string;
  const managers: LocalProcessManager[] = [];
  const pids = new PidTracker();

  beforeEach(async () => {
    dir = await makeTempDir();
    sessionDir = path.join(dir, 'sessions', 'coldbox');
  });

  afterEach(async () => {
    for (const m of managers.splice(0)) {
      for (const i of m.list()) pids.add(i.pid);
      await m.dispose();
    }
    await LocalProcessManager.cleanup(sessionDir, { graceMs: 100 });
    await pids.assertAllDead();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  it('adopts apps started by another process; stop works by process group', async () => {
    const started = await startInOtherProcess(sessionDir, LISTEN_GRACEFUL, 'df-01', 'df-02');
    pids.add(...started.map((i) => i.pid));
    assert.equal(started.length, 2);
    assert.ok(started.every((i) => isProcessAlive(i.pid!)), 'apps outlive the process that started them');

    const record = await LocalProcessManager.readRecord(sessionDir);
    assert.deepEqual(record?.apps.map((a) => a.pid), started.map((i) => i.pid));
    assert.notEqual(record?.ownerPid, process.pid);

    const m = await LocalProcessManager.adopt({ session: 'coldbox', sessionDir, pollMs: 50 });
    managers.push(m);
    const list = m.list();
    assert.deepEqual(list.map((i) => [i.name, i.pid, i.port, i.alive, i.adopted]), started.map((i) => [i.name, i.pid, i.port, true, true]));
    assert.equal(m.info('df-01')?.logFile, started[0].logFile);
    // The adopter now owns the record.
    assert.equal((await LocalProcessManager.readRecord(sessionDir))?.ownerPid, process.pid);

    const exits: AppProcessInfo[] = [];
    m.onExit((i) => exits.push(i));
    const stopped = await m.stop('df-01', { graceMs: 2000 });
    assert.equal(stopped?.alive, false);
    assert.equal(stopped?.expected, true);
    assert.match(stopped!.reason!, /stopped by Baton \(exit status unknown: not a child of this Baton process\)/);
    assert.equal(isProcessAlive(started[0].pid!), false);
    assert.match(fs.readFileSync(started[0].logFile!, 'utf8'), /SIGTERM received, exiting/);
    assert.deepEqual(exits.map((e) => [e.name, e.expected]), [['df-01', true]]);
    assert.deepEqual((await LocalProcessManager.readRecord(sessionDir))?.apps.map((a) => a.name), ['df-02']);

    await m.kill('df-02');
    assert.equal(isProcessAlive(started[1].pid!), false);
    assert.deepEqual((await LocalProcessManager.readRecord(sessionDir))?.apps, []);
  });

  it('an adopted app that ignores SIGTERM is killed after the grace', async () => {
    const [app] = await startInOtherProcess(sessionDir, LISTEN_IGNORE_TERM, 'stubborn');
    pids.add(app.pid);
    const m = await LocalProcessManager.adopt({ session: 'coldbox', sessionDir });
    managers.push(m);
    const stopped = await m.stop('stubborn', { graceMs: 200 });
    assert.match(stopped!.reason!, /still running 200 ms after SIGTERM, killed/);
    assert.equal(isProcessAlive(app.pid!), false);
  });

  it('detects the death of an adopted app by polling (expected=false)', async () => {
    const first = new LocalProcessManager({ session: 'coldbox', sessionDir });
    const info = await first.start(nodeApp('victim', LISTEN), BOOT);
    pids.add(info.pid);
    await first.detach();

    const m = await LocalProcessManager.adopt({ session: 'coldbox', sessionDir, pollMs: 50 });
    managers.push(m);
    assert.equal(m.info('victim')?.alive, true);
    const exited = new Promise<AppProcessInfo>((resolve) => m.onExit(resolve));
    process.kill(info.pid!, 'SIGKILL');
    const ex = await exited;
    assert.equal(ex.name, 'victim');
    assert.equal(ex.alive, false);
    assert.equal(ex.expected, false);
    assert.match(ex.reason!, /^exited unexpectedly \(exit status unknown/);
    await waitFor(async () => (await LocalProcessManager.readRecord(sessionDir))?.apps.length === 0, 3000, 'record update');
  });

  it('does not adopt (nor kill) a recorded pid that now belongs to another process', async () => {
    // A live process standing in for "someone else who got the recorded pid".
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    pids.add(other.pid);
    try {
      await waitFor(() => readProcessStart(other.pid!) !== undefined, 3000, 'the stand-in to start');
      fs.mkdirSync(sessionDir, { recursive: true });
      const rec = {
        version: 1,
        session: 'coldbox',
        ownerPid: 999999,
        updatedAt: new Date().toISOString(),
        apps: [
          {
            name: 'df-01',
            pid: other.pid,
            pgid: other.pid,
            host: '127.0.0.1',
            port: 3401,
            logFile: path.join(sessionDir, 'logs', 'df-01.log'),
            startedAt: Date.now() - 60_000,
            processStart: readProcessStart(other.pid!)! - 1, // the recorded process started earlier
            command: 'daq-app',
            args: [],
          },
        ],
      };
      fs.writeFileSync(path.join(sessionDir, 'processes.json'), JSON.stringify(rec));
      const logs: string[] = [];
      const m = await LocalProcessManager.adopt({ session: 'coldbox', sessionDir, log: (s) => logs.push(s) });
      managers.push(m);
      assert.deepEqual(m.list(), []);
      assert.match(logs.join('\n'), /not adopting "df-01": pid \d+ now belongs to another process/);

      fs.writeFileSync(path.join(sessionDir, 'processes.json'), JSON.stringify(rec));
      assert.deepEqual(await LocalProcessManager.cleanup(sessionDir, { graceMs: 100 }), []);
      assert.equal(isProcessAlive(other.pid!), true, 'an unrelated process is never killed');
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('cleanup kills every recorded live group (SIGTERM, then SIGKILL) and removes the record', async () => {
    const started = await startInOtherProcess(sessionDir, LISTEN_GRACEFUL, 'polite');
    const [stubborn] = await startInOtherProcess(sessionDir, LISTEN_IGNORE_TERM, 'stubborn');
    // Second helper overwrote the record with only its own app: record both, as one controller would.
    const record = (await LocalProcessManager.readRecord(sessionDir))!;
    const first = started[0];
    record.apps.unshift({
      name: first.name,
      pid: first.pid!,
      pgid: first.pgid!,
      host: first.host,
      port: first.port,
      logFile: first.logFile!,
      startedAt: first.startedAt!,
      processStart: readProcessStart(first.pid!),
      command: first.command!,
      args: first.args!,
    });
    // Plus an entry for an app that is long dead.
    record.apps.push({ ...record.apps[1], name: 'dead', pid: 999_999, pgid: 999_999 });
    fs.writeFileSync(path.join(sessionDir, 'processes.json'), JSON.stringify(record));
    pids.add(first.pid, stubborn.pid);

    const t0 = Date.now();
    const killed = await LocalProcessManager.cleanup(sessionDir, { graceMs: 300 });
    assert.deepEqual(killed.map((k) => k.name), ['polite', 'stubborn']);
    assert.ok(Date.now() - t0 >= 290, 'the stubborn app got its grace');
    assert.equal(isProcessAlive(first.pid!), false);
    assert.equal(isProcessAlive(stubborn.pid!), false);
    assert.equal(fs.existsSync(path.join(sessionDir, 'processes.json')), false);
    assert.equal(await LocalProcessManager.readRecord(sessionDir), undefined);
    assert.deepEqual(await LocalProcessManager.cleanup(sessionDir), [], 'nothing left to do');
  });
});
