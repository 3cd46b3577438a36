import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from '../util/atomic-file';
import { withLock } from '../util/lock-file';
import { checkRunNumber } from './run-registry';

/**
 * One directory per run under `.baton/runs/<number>/`: `run.json` (what, when, how it
 * ended) and `config.baton.yaml`, the exact configuration text the run was taken with,
 * so that a run can be understood (and repeated) after the file in the workspace changed.
 */

export type RunType = 'TEST' | 'PROD';
export type RunOutcome = 'ok' | 'failed' | 'aborted';

export const RUN_FILE = 'run.json';
export const RUN_CONFIG_FILE = 'config.baton.yaml';

export interface RunRecord {
  number: number;
  type: RunType;
  session: string;
  /** Where the configuration came from (for people; the copy is what counts). */
  configPath?: string;
  /** The configuration snapshot, relative to the run's directory. */
  configFile: string;
  startedAt: string;
  stoppedAt?: string;
  outcome?: RunOutcome;
  note?: string;
}

export interface BeginRun {
  number: number;
  /** Case-insensitive: "test", "Prod"... */
  type: string;
  session: string;
  configPath?: string;
  configText: string;
  startedAt?: Date | string | number;
}

export interface EndRun {
  stoppedAt?: Date | string | number;
  outcome?: RunOutcome;
  note?: string;
}

export function normaliseRunType(type: string): RunType {
  const t = typeof type === 'string' ? type.trim().toUpperCase() : '';
  if (t !== 'TEST' && t !== 'PROD') throw new Error(`run type must be TEST or PROD, got ${JSON.stringify(type)}`);
  return t;
}

export class RunRecords {
  constructor(readonly dir: string) {}

  runDir(number: number): string {
    return path.join(this.dir, String(number));
  }

  async begin(run: BeginRun): Promise<RunRecord> {
    checkRunNumber(run.number);
    const type = normaliseRunType(run.type);
    if (typeof run.session !== 'string' || run.session === '') throw new Error('run session name is missing');
    await fs.promises.mkdir(this.dir, { recursive: true });
    const dir = this.runDir(run.number);
    try {
      // A plain (non-recursive) mkdir fails if the directory exists: claiming the number is
      // atomic even when two processes begin the same run at once.
      await fs.promises.mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`run ${run.number} already exists (${dir}); run numbers are never reused`);
      }
      throw err;
    }
    const record: RunRecord = {
      number: run.number,
      type,
      session: run.session,
      ...(run.configPath !== undefined ? { configPath: run.configPath } : {}),
      configFile: RUN_CONFIG_FILE,
      startedAt: toIso(run.startedAt ?? new Date(), 'startedAt'),
    };
    await writeFileAtomic(path.join(dir, RUN_CONFIG_FILE), run.configText, { mode: 0o444 });
    await writeJsonAtomic(path.join(dir, RUN_FILE), record);
    return record;
  }

  async end(number: number, end: EndRun = {}): Promise<RunRecord> {
    checkRunNumber(number);
    if (end.outcome !== undefined && !['ok', 'failed', 'aborted'].includes(end.outcome)) {
      throw new Error(`run outcome must be ok, failed or aborted, got ${JSON.stringify(end.outcome)}`);
    }
    const file = path.join(this.runDir(number), RUN_FILE);
    if (!(await this.get(number))) throw new Error(`run ${number} has no record in ${this.dir}`);
    return withLock(`${file}.lock`, async () => {
      const record = await this.get(number);
      if (!record) throw new Error(`run ${number} has no record in ${this.dir}`);
      if (record.stoppedAt !== undefined) throw new Error(`run ${number} already ended at ${record.stoppedAt}`);
      const updated: RunRecord = {
        ...record,
        stoppedAt: toIso(end.stoppedAt ?? new Date(), 'stoppedAt'),
        outcome: end.outcome ?? 'ok',
        ...(end.note !== undefined ? { note: end.note } : {}),
      };
      await writeJsonAtomic(file, updated);
      return updated;
    });
  }

  async get(number: number): Promise<RunRecord | undefined> {
    checkRunNumber(number);
    return readJsonFile<RunRecord>(path.join(this.runDir(number), RUN_FILE));
  }

  /** All recorded runs, by ascending number. Directories without a run.json are skipped. */
  async list(): Promise<RunRecord[]> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const numbers = names.filter((n) => /^[1-9][0-9]*$/.test(n)).map(Number).sort((a, b) => a - b);
    const records: RunRecord[] = [];
    for (const n of numbers) {
      const r = await this.get(n);
      if (r) records.push(r);
    }
    return records;
  }
}

function toIso(t: Date | string | number, what: string): string {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) throw new Error(`${what}: not a valid time: ${JSON.stringify(t)}`);
  return d.toISOString();
}
