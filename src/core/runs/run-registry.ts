import { readJsonFile, writeJsonAtomic } from '../util/atomic-file';
import { withLock, type LockOptions } from '../util/lock-file';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The run-number counter. Run numbers identify data on disk and in logbooks, so a number
 * must never be handed out twice, even when several Baton processes (CLI in a script,
 * VS Code) take numbers at the same moment: every read-modify-write happens under an
 * exclusive lock file, and the counter file is replaced atomically.
 *
 * File format: `{"next": <number>}` (hand-editable to start elsewhere; absent = 1).
 */

interface RegistryFile {
  next: number;
  updatedAt?: string;
}

export class RunRegistry {
  private readonly lockFile: string;

  constructor(
    readonly file: string,
    private readonly lockOptions: LockOptions = { timeoutMs: 10_000 },
  ) {
    this.lockFile = `${file}.lock`;
  }

  /** Take the next run number. */
  async next(): Promise<number> {
    return this.locked(async () => {
      const n = await this.readNext();
      await this.write(n + 1);
      return n;
    });
  }

  /** The number `next()` would return now, without taking it. */
  async peek(): Promise<number> {
    return this.readNext();
  }

  /**
   * Record that run `n` was used (an operator gave the number explicitly), so the counter
   * moves past it. Never moves the counter backwards.
   */
  async reserve(n: number): Promise<void> {
    checkRunNumber(n);
    await this.locked(async () => {
      const next = await this.readNext();
      if (n >= next) await this.write(n + 1);
    });
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    return withLock(this.lockFile, fn, this.lockOptions);
  }

  private async readNext(): Promise<number> {
    const data = await readJsonFile<RegistryFile>(this.file);
    if (data === undefined) return 1;
    const next = typeof data === 'object' && data !== null ? data.next : undefined;
    // A damaged counter must stop the run rather than silently restart at 1.
    if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 1) {
      throw new Error(`${this.file}: "next" must be a positive integer, found ${JSON.stringify(next)}`);
    }
    return next;
  }

  private write(next: number): Promise<void> {
    return writeJsonAtomic(this.file, { next, updatedAt: new Date().toISOString() } satisfies RegistryFile);
  }
}

export function checkRunNumber(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`run number must be a positive integer, got ${n}`);
}
