import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SessionBusyError, acquireSessionLock } from '../../../src/core/backends/local/session-lock';
import { PidTracker, REPO_ROOT, TSX_CJS, makeTempDir } from './helpers';

describe('session lock', () => {
  let dir: string;
  let sessionDir: string;
  const pids = new PidTracker();

  beforeEach(async () => {
    dir = await makeTempDir();
    sessionDir = path.join(dir, 'sessions', 'coldbox');
  });

  afterEach(async () => {
    await pids.assertAllDead();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  it('a second acquirer gets SessionBusyError naming the owner; release frees the session', async () => {
    const lock = await acquireSessionLock(sessionDir);
    assert.equal(lock.session, 'coldbox');
    assert.equal(lock.owner.pid, process.pid);
    const err = await acquireSessionLock(sessionDir).then(
      () => assert.fail('acquired twice'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SessionBusyError);
    assert.equal(err.message, `session "coldbox" is already controlled by process ${process.pid} (started ${lock.owner.createdAt})`);
    await lock.release();
    const again = await acquireSessionLock(sessionDir);
    await again.release();
    await again.release(); // idempotent
    assert.equal(fs.existsSync(lock.file), false);
  });

  it('a lock held by a child process that is then killed is taken over', async () => {
    const lockModule = path.join(REPO_ROOT, 'src/core/backends/local/session-lock.ts');
    const script =
      `require(${JSON.stringify(lockModule)}).acquireSessionLock(${JSON.stringify(sessionDir)})` +
      `.then(() => { console.log('locked'); setInterval(() => {}, 1000); }, (e) => { console.error(e); process.exit(1); });`;
    const child = spawn(process.execPath, ['-r', TSX_CJS, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    pids.add(child.pid);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        child.once('exit', () => reject(new Error('lock holder exited early')));
      });
      await assert.rejects(acquireSessionLock(sessionDir), (e: unknown) => {
        assert.ok(e instanceof SessionBusyError);
        assert.equal(e.owner?.pid, child.pid);
        assert.match(e.message, new RegExp(`^session "coldbox" is already controlled by process ${child.pid} \\(started `));
        return true;
      });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // The owner died without releasing: its lock file is still there, and stale.
    assert.equal(fs.existsSync(path.join(sessionDir, 'session.lock')), true);
    const lock = await acquireSessionLock(sessionDir);
    assert.equal(lock.owner.pid, process.pid);
    await lock.release();
  });
});
