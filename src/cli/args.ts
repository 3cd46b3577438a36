import { parseDuration } from '../core/config/duration';
import type { TransitionArgs } from '../core/control/command-data';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One thing `baton run` does: a transition/sequence, a wait, or a tree operation. */
export type Step =
  | { kind: 'fsm'; name: string; args: TransitionArgs; on: string }
  | { kind: 'wait'; ms: number }
  | { kind: 'exclude' | 'include'; path: string; args: TransitionArgs }
  | { kind: 'goto'; state: string; args: TransitionArgs; on: string }
  | { kind: 'recover' }
  | { kind: 'abort' };

export const DEFAULT_STEPS = ['boot', 'start_run', 'wait', '2', 'stop_run', 'shutdown'];

/**
 * Parses `boot start_run --run-number 7 --run-type TEST wait 2 stop_run shutdown`: each
 * option belongs to the step before it, so every step can carry its own arguments.
 */
export function parseSteps(tokens: string[]): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const value = (opt: string): string => {
    const v = tokens[++i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${opt} needs a value`);
    return v;
  };
  while (i < tokens.length) {
    const word = tokens[i];
    if (word.startsWith('--')) throw new UsageError(`option ${word} must follow a step (e.g. start_run ${word} ...)`);
    i++;
    if (word === 'wait') {
      const v = tokens[i++];
      const ms = v === undefined ? undefined : parseDuration(v);
      if (ms === undefined) throw new UsageError(`wait needs a duration in seconds (e.g. wait 2 or wait 500ms), got ${JSON.stringify(v)}`);
      steps.push({ kind: 'wait', ms });
      continue;
    }
    if (word === 'recover' || word === 'abort') {
      steps.push({ kind: word });
      continue;
    }
    let target: string | undefined;
    if (word === 'exclude' || word === 'include' || word === 'goto') {
      target = tokens[i++];
      if (!target || target.startsWith('--')) throw new UsageError(`${word} needs ${word === 'goto' ? 'a state' : 'a node path'} (e.g. ${word} ${word === 'goto' ? 'configured' : 'readout/ru-apa1'})`);
    }
    const args: TransitionArgs = {};
    let on = '';
    while (i < tokens.length && tokens[i].startsWith('--')) {
      const opt = tokens[i];
      switch (opt) {
        case '--run-number': {
          const n = Number(value(opt));
          if (!Number.isInteger(n) || n < 1) throw new UsageError(`--run-number must be a positive integer`);
          args.runNumber = n;
          break;
        }
        case '--run-type': {
          const t = value(opt).toUpperCase();
          if (t !== 'TEST' && t !== 'PROD') throw new UsageError(`--run-type must be TEST or PROD`);
          args.runType = t;
          break;
        }
        case '--trigger-rate': {
          const r = Number(value(opt));
          if (!Number.isFinite(r) || r < 0) throw new UsageError(`--trigger-rate must be a non-negative number (Hz)`);
          args.triggerRate = r;
          break;
        }
        case '--disable-data-storage':
          args.disableDataStorage = true;
          break;
        case '--resource-name':
          args.resourceName = value(opt);
          break;
        case '--timeout': {
          const ms = parseDuration(value(opt));
          if (!ms) throw new UsageError(`--timeout needs a duration such as 10s`);
          args.timeoutMs = ms;
          break;
        }
        case '--on':
          on = value(opt);
          break;
        default:
          throw new UsageError(`unknown option ${opt} for ${word}`);
      }
      i++;
    }
    if (word === 'exclude' || word === 'include') steps.push({ kind: word, path: target!, args });
    else if (word === 'goto') steps.push({ kind: 'goto', state: target!, args, on });
    else steps.push({ kind: 'fsm', name: word, args, on });
  }
  return steps;
}
