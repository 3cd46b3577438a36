import * as fs from 'node:fs';
import * as os from 'node:os';
import { isSameProcess, readProcessStart, sleep } from './process-info';

/**
 * An exclusive lock represented by a file that exists while the lock is held.
 *
 * Creation uses O_CREAT|O_EXCL ('wx'), which the kernel guarantees only one process can
 * win, also across processes that share nothing else. The file records who holds it, so
 * that a lock left behind by a process that died (crash, SIGKILL, power loss) can be taken
 * over instead of blocking forever; the owner's start time (/proc/<pid>/stat field 22) is
 * recorded too, because after a reboot or a long time the owner's pid may belong to an
 * unrelated live process.
 */

export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO time at which the lock was taken. */
  createdAt: string;
  /** Owner's start time in clock ticks since boot, when /proc is available. */
  processStart?: number;
}

export interface LockOptions {
  /** How long to keep retrying while someone else holds the lock. 0 = one attempt. Default 10 s. */
  timeoutMs?: number;
  /** First retry delay; doubled up to maxDelayMs (small: lock holders are quick). Default 5 ms. */
  minDelayMs?: number;
  /** Default 100 ms. */
  maxDelayMs?: number;
  /**
   * A lock file with no readable owner (its creator died between creating and writing it)
   * is considered abandoned once it is this old. Default 2000 ms.
   */
  incompleteStaleMs?: number;
}

export interface LockHandle {
  readonly file: string;
  readonly owner: LockOwner;
  /** Remove the lock file if it is still ours. Safe to call twice. */
  release(): Promise<void>;
}

/** Thrown when the lock stays held by a live owner until the timeout. */
export class LockBusyError extends Error {
  constructor(
    readonly file: string,
    readonly owner: LockOwner | undefined,
    timeoutMs: number,
  ) {
    super(
      `lock ${file} is held by ${owner ? describeOwner(owner) : 'an unknown process'}` +
        (timeoutMs > 0 ? ` (waited ${timeoutMs} ms)` : ''),
    );
    this.name = 'LockBusyError';
  }
}

export function describeOwner(owner: LockOwner): string {
  const host = owner.hostname === os.hostname() ? '' : ` on host ${owner.hostname}`;
  return `process ${owner.pid}${host} (started ${owner.createdAt})`;
}

/**
 * Is the recorded owner still running? A lock from another host cannot be checked from
 * here, so it is presumed alive (taking it over could let two controllers run at once).
 */
export function isOwnerAlive(owner: LockOwner): boolean {
  if (owner.hostname !== os.hostname()) return true;
  return isSameProcess(owner.pid, owner.processStart);
}

/** Read the owner recorded in a lock file; undefined when absent or not (yet) readable. */
export async function readLockOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return parseOwner(await fs.promises.readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export async function acquireLock(file: string, options: LockOptions = {}): Promise<LockHandle> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxDelay = options.maxDelayMs ?? 100;
  let delay = options.minDelayMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  const owner: LockOwner = {
    pid: process.pid,
    hostname: os.hostname(),
    createdAt: new Date().toISOString(),
  };
  const start = readProcessStart(process.pid);
  if (start !== undefined) owner.processStart = start;
  const content = JSON.stringify(owner) + '\n';

  for (;;) {
    if (await tryCreate(file, content)) return makeHandle(file, owner, content);
    const verdict = await inspect(file, options.incompleteStaleMs ?? 2000);
    if (verdict.kind === 'gone') continue; // released meanwhile: try again at once
    if (verdict.kind === 'stale') {
      await removeIfStillStale(file, options.incompleteStaleMs ?? 2000);
      continue;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new LockBusyError(file, verdict.owner, timeoutMs);
    // Jitter so that several waiters do not retry in lock-step.
    await sleep(Math.min(remaining, delay * (0.5 + Math.random())));
    delay = Math.min(delay * 2, maxDelay);
  }
}

/** Run `fn` while holding the lock, releasing it whatever happens. */
export async function withLock<T>(file: string, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
  const lock = await acquireLock(file, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

async function tryCreate(file: string, content: string): Promise<boolean> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(content);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.promises.rm(file, { force: true });
    throw err;
  }
  await handle.close();
  return true;
}

function makeHandle(file: string, owner: LockOwner, content: string): LockHandle {
  let released = false;
  return {
    file,
    owner,
    async release() {
      if (released) return;
      released = true;
      // Only remove the file if it is still ours: if it was (wrongly) taken over, deleting
      // it would release someone else's lock.
      const now = await fs.promises.readFile(file, 'utf8').catch(() => undefined);
      if (now === content) await fs.promises.rm(file, { force: true });
    },
  };
}

type Verdict = { kind: 'gone' } | { kind: 'stale' } | { kind: 'live'; owner: LockOwner | undefined };

async function inspect(file: string, incompleteStaleMs: number): Promise<Verdict> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([fs.promises.readFile(file, 'utf8'), fs.promises.stat(file)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    throw err;
  }
  const owner = parseOwner(text);
  if (!owner) {
    // Its creator is between open and write, or died there.
    return Date.now() - mtimeMs > incompleteStaleMs ? { kind: 'stale' } : { kind: 'live', owner: undefined };
  }
  return isOwnerAlive(owner) ? { kind: 'live', owner } : { kind: 'stale' };
}

/**
 * Delete a stale lock without racing other takers. Two waiters can both judge the same
 * lock stale; if both simply unlinked it, the slower one could delete the NEW lock the
 * faster one just created. So removal happens under a short-lived guard file (also 'wx'),
 * and the verdict is re-checked while holding it. A guard is held for microseconds; one
 * older than a few seconds belongs to a taker that died and is removed.
 */
async function removeIfStillStale(file: string, incompleteStaleMs: number): Promise<void> {
  const guard = `${file}.takeover`;
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(guard, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const st = await fs.promises.stat(guard).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > 5000) await fs.promises.rm(guard, { force: true });
    else await sleep(2);
    return; // the caller loops and looks again
  }
  try {
    await handle.close();
    if ((await inspect(file, incompleteStaleMs)).kind === 'stale') await fs.promises.rm(file, { force: true });
  } finally {
    await fs.promises.rm(guard, { force: true });
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.hostname === 'string' && typeof v.createdAt === 'string') {
      return v as LockOwner;
    }
  } catch {
    // incomplete or foreign content
  }
  return undefined;
}
