import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from '../../../src/core/util/atomic-file';
import { LockBusyError, acquireLock, readLockOwner, withLock } from '../../../src/core/util/lock-file';
import { readProcessStart } from '../../../src/core/util/process-info';

// The file utilities under run numbers and session locks (src/core/util).
describe('atomic files', () => {
  let dir: string;
  beforeEach(async () => (dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'baton-util-'))));
  afterEach(() => fs.promises.rm(dir, { recursive: true, force: true }));

  it('writes, replaces and reads JSON, leaving no temporary files', async () => {
    const file = path.join(dir, 'x.json');
    assert.equal(await readJsonFile(file), undefined, 'absent file = undefined');
    await writeJsonAtomic(file, { a: 1 });
    await writeJsonAtomic(file, { a: 2, b: [true] });
    assert.deepEqual(await readJsonFile(file), { a: 2, b: [true] });
    await writeFileAtomic(path.join(dir, 'y.txt'), 'text', { mode: 0o600 });
    assert.equal(fs.statSync(path.join(dir, 'y.txt')).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['x.json', 'y.txt']);
  });

  it('concurrent writers never produce a torn file', async () => {
    const file = path.join(dir, 'x.json');
    const big = 'x'.repeat(100_000);
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeJsonAtomic(file, { i, big })));
    const v = await readJsonFile<{ i: number; big: string }>(file);
    assert.equal(v?.big.length, 100_000);
    assert.deepEqual(fs.readdirSync(dir), ['x.json']);
  });

  it('reports invalid JSON with the file name instead of returning nothing', async () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '{"a": ');
    await assert.rejects(readJsonFile(file), new RegExp(`^Error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: invalid JSON`));
  });
});

describe('lock files', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'baton-lock-'));
    file = path.join(dir, 'x.lock');
  });
  afterEach(() => fs.promises.rm(dir, { recursive: true, force: true }));

  it('records pid, hostname, createdAt and the process start time', async () => {
    const lock = await acquireLock(file);
    const owner = await readLockOwner(file);
    assert.deepEqual(owner, lock.owner);
    assert.equal(owner?.pid, process.pid);
    assert.equal(owner?.hostname, os.hostname());
    assert.ok(!Number.isNaN(Date.parse(owner!.createdAt)));
    assert.equal(owner?.processStart, readProcessStart(process.pid));
    await lock.release();
    assert.equal(fs.existsSync(file), false);
  });

  it('a live holder blocks until the timeout, with a LockBusyError naming it', async () => {
    const lock = await acquireLock(file);
    const t0 = Date.now();
    await assert.rejects(acquireLock(file, { timeoutMs: 150 }), (e: unknown) => {
      assert.ok(e instanceof LockBusyError);
      assert.equal(e.owner?.pid, process.pid);
      assert.match(e.message, /held by process \d+ \(started .*\) \(waited 150 ms\)/);
      return true;
    });
    assert.ok(Date.now() - t0 >= 140);
    await lock.release();
  });

  it('a waiter gets the lock as soon as it is released', async () => {
    const lock = await acquireLock(file);
    setTimeout(() => void lock.release(), 50);
    const second = await acquireLock(file, { timeoutMs: 5000 });
    await second.release();
  });

  it('serialises critical sections (withLock)', async () => {
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        withLock(file, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    assert.equal(maxInside, 1);
  });

  it('takes over a lock whose owner is dead, or is another process with a reused pid', async () => {
    const dead = { pid: 999_999, hostname: os.hostname(), createdAt: new Date(0).toISOString() };
    fs.writeFileSync(file, JSON.stringify(dead));
    (await acquireLock(file, { timeoutMs: 0 })).release();

    // Our own pid, but a different start time: the recorded owner is gone.
    const reused = { ...dead, pid: process.pid, processStart: (readProcessStart(process.pid) ?? 0) + 1 };
    fs.writeFileSync(file, JSON.stringify(reused));
    const lock = await acquireLock(file, { timeoutMs: 0 });
    assert.equal(lock.owner.pid, process.pid);
    await lock.release();
    assert.equal(fs.existsSync(`${file}.takeover`), false);
  });

  it('never takes over a lock from another host (its owner cannot be checked)', async () => {
    fs.writeFileSync(file, JSON.stringify({ pid: 999_999, hostname: 'elsewhere', createdAt: new Date().toISOString() }));
    await assert.rejects(acquireLock(file, { timeoutMs: 0 }), /held by process 999999 on host elsewhere/);
  });

  it('an empty lock file (creator died before writing) is stale only once old', async () => {
    fs.writeFileSync(file, '');
    await assert.rejects(acquireLock(file, { timeoutMs: 0 }), /held by an unknown process/);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    (await acquireLock(file, { timeoutMs: 0 })).release();
  });

  it('release does not remove a lock that is no longer ours', async () => {
    const lock = await acquireLock(file);
    fs.writeFileSync(file, JSON.stringify({ pid: 1, hostname: 'other', createdAt: 'x' }));
    await lock.release();
    assert.equal(fs.existsSync(file), true);
  });
});
