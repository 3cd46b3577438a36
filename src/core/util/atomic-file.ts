import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Replace `file` atomically: readers see either the old content or the new one, never a
 * half-written file, even if we crash mid-way. The temporary file is created in the SAME
 * directory because rename(2) is only atomic within one file system. fsync before the
 * rename makes sure the data is on disk before the name points at it; the directory is
 * fsynced afterwards (best effort) so the rename itself survives a power loss.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never follow or clobber something already at the temporary name.
  const handle = await fs.promises.open(tmp, 'wx', options.mode ?? 0o644);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
}

/** Write `value` as pretty JSON (trailing newline) atomically. */
export async function writeJsonAtomic(file: string, value: unknown, options: { mode?: number } = {}): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', options);
}

/**
 * Read and parse a JSON file. Returns undefined when the file does not exist (a normal
 * "nothing recorded yet" situation); any other problem, including invalid JSON, throws an
 * error naming the file, because silently treating a corrupt record as empty could, for
 * example, reuse run numbers or forget running processes.
 */
export async function readJsonFile<T = unknown>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems (and platforms) refuse fsync on a directory; the data itself is
    // already synced, so this only weakens durability of the rename, not atomicity.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
