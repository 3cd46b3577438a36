// What a step asks the operator before it runs, and the checks of what the operator typed.
// Shared by every front end that prompts (VS Code's input boxes today); pure.
import type { Fsm } from '../fsm/fsm';

export interface StepArguments {
  runType: boolean;
  runNumber: boolean;
  triggerRate: boolean;
}

/**
 * A step that starts a run (itself or as a step of a sequence) needs a run type and number;
 * one that changes the trigger rate needs the rate.
 */
export function stepArguments(fsm: Pick<Fsm, 'sequence'>, step: string): StepArguments {
  const all = [step, ...(fsm.sequence(step)?.steps.map((s) => s.transition) ?? [])];
  const starts = all.includes('start');
  return { runType: starts, runNumber: starts, triggerRate: all.includes('change_rate') };
}

/** A run number typed by the operator: a message saying what is wrong, or undefined when fine (empty = take the proposed one). */
export function checkRunNumberInput(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  return /^\d+$/.test(text.trim()) && Number(text) >= 1 && Number.isSafeInteger(Number(text)) ? undefined : 'a positive integer';
}

/** A trigger rate typed by the operator, in Hz. */
export function checkRateInput(text: string): string | undefined {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) && n >= 0 ? undefined : 'a non-negative number (Hz)';
}
