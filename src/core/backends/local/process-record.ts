import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../../util/atomic-file';

/**
 * `<sessionDir>/processes.json`: the applications a local session believes are running.
 * It exists so that a LATER Baton process (a reloaded VS Code window, a `baton cleanup`)
 * can find, re-attach to, or kill applications it did not start itself.
 */

export const PROCESS_RECORD_FILE = 'processes.json';

export interface RecordedProcess {
  name: string;
  pid: number;
  /** Process group; equals pid because every application leads its own group. */
  pgid: number;
  host: string;
  port: number;
  logFile: string;
  /** ms since the epoch. */
  startedAt: number;
  /** /proc/<pid>/stat field 22, to tell the recorded process from a later one with the same pid. */
  processStart?: number;
  command: string;
  args: string[];
}

export interface ProcessRecord {
  version: 1;
  session: string;
  /** The Baton process that wrote the record. */
  ownerPid: number;
  updatedAt: string;
  apps: RecordedProcess[];
}

export function processRecordPath(sessionDir: string): string {
  return path.join(sessionDir, PROCESS_RECORD_FILE);
}

export async function readProcessRecord(sessionDir: string): Promise<ProcessRecord | undefined> {
  const file = processRecordPath(sessionDir);
  const data = await readJsonFile<ProcessRecord>(file);
  if (data === undefined) return undefined;
  if (typeof data !== 'object' || data === null || !Array.isArray(data.apps)) {
    throw new Error(`${file}: not a Baton process record (no "apps" list)`);
  }
  for (const [i, app] of data.apps.entries()) {
    const ok =
      app && typeof app.name === 'string' && Number.isInteger(app.pid) && app.pid > 1 &&
      Number.isInteger(app.pgid) && app.pgid > 1;
    if (!ok) throw new Error(`${file}: apps[${i}] lacks a valid name, pid or pgid`);
  }
  return data;
}

export async function removeProcessRecord(sessionDir: string): Promise<void> {
  await fs.promises.rm(processRecordPath(sessionDir), { force: true });
}

/**
 * Writes the record whenever asked, in order, never two writes at once (each write is an
 * atomic rename, but two overlapping writes could finish in the wrong order and leave a
 * stale picture). Requests that arrive while a write is waiting share it; the snapshot is
 * taken when the write starts, so the last write always reflects the latest state.
 */
export class ProcessRecordWriter {
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => ProcessRecord,
  ) {}

  update(): Promise<void> {
    if (this.queued) return this.queued;
    const write = this.tail.then(async () => {
      this.queued = undefined;
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await writeJsonAtomic(this.file, this.snapshot());
    });
    this.queued = write;
    this.tail = write.catch(() => undefined);
    return write;
  }
}
