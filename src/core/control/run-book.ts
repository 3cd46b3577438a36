import * as path from 'node:path';
import type { RunConfig } from '../config/types';
import { RunRecords } from '../runs/run-records';
import { RunRegistry } from '../runs/run-registry';
import type { TransitionArgs, RunType } from './command-data';
import type { EventStream } from './events';

export interface ActiveRun {
  number: number;
  type: RunType;
  startedAt: number;
}

/**
 * Ties the FSM to run bookkeeping: `start` takes a run number and opens a run record,
 * `stop` closes it, and a failed start, `terminate` or `abort` close it with that outcome.
 */
export class RunBook {
  active?: ActiveRun;
  private pending?: ActiveRun;
  readonly registry: RunRegistry;
  readonly records: RunRecords;

  constructor(dir: string, private readonly config: RunConfig, private readonly events: EventStream) {
    this.registry = new RunRegistry(path.join(dir, 'registry.json'));
    this.records = new RunRecords(dir);
  }

  /** Returns the start arguments with the run number filled in. */
  async beginRun(args: TransitionArgs): Promise<TransitionArgs & { runNumber: number }> {
    const type: RunType = args.runType ?? 'TEST';
    let number: number;
    if (args.runNumber !== undefined) {
      number = args.runNumber;
      await this.registry.reserve(number);
    } else {
      number = await this.registry.next();
    }
    const startedAt = Date.now();
    await this.records.begin({ number, type, session: this.config.name, configPath: this.config.file, configText: this.config.text, startedAt });
    this.pending = { number, type, startedAt };
    return { ...args, runType: type, runNumber: number };
  }

  /** `wholeSession` is false for a transition on one segment, which never ends the run. */
  async afterTransition(transition: string, ok: boolean, wholeSession = true): Promise<void> {
    if (transition === 'start') {
      const run = this.pending;
      this.pending = undefined;
      if (!run) return;
      if (ok) {
        this.active = run;
        this.events.emit({ type: 'run', phase: 'started', number: run.number, runType: run.type });
      } else {
        await this.records.end(run.number, { outcome: 'failed', note: 'start failed' });
      }
      return;
    }
    if (!this.active || !wholeSession) return;
    const outcome = transition === 'stop' && ok ? 'ok' : transition === 'abort' ? 'aborted' : transition === 'terminate' ? 'aborted' : undefined;
    if (!outcome) return;
    const run = this.active;
    this.active = undefined;
    await this.records.end(run.number, { outcome, stoppedAt: Date.now() });
    this.events.emit({ type: 'run', phase: 'stopped', number: run.number, runType: run.type, outcome });
  }
}
