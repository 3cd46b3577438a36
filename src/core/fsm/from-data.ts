import { FsmDefinitionError } from './errors';
import { describe } from './names';
import type { FsmDefinition, SequenceDef, SequenceStep, TransitionDef } from './types';

/*
 * The shape of a custom FSM in a run configuration (`spec.fsm`):
 *
 *   states: [none, initial, configured, ready, running, error]
 *   initial: none            # optional, default "none"
 *   error: error             # optional, default "error" (`errorState` also accepted)
 *   transitions:             # a map keyed by name ...
 *     boot:        { source: none, dest: initial }
 *     terminate:   { source: [initial, error], dest: none }
 *     abort:       { source: "*", dest: none }
 *     change_rate: { source: "ready|running" }          # no dest (or "" / null) = stay
 *   sequences:               # optional; a map keyed by name ...
 *     start_run: ["[conf]", start, enable_triggers]    # "[x]" = optional step
 *     stop_run:  [{ transition: drain_dataflow, optional: false }, stop]
 *
 * ... or lists: `transitions: [{ name, source, dest }]`, `sequences: [{ name, steps }]`,
 * so a serialised FsmDefinition reads back unchanged. Only the shape is checked here; the
 * consistency (declared states, reachability, ...) is Fsm.compile's job. Unknown keys are
 * errors, because in a hand-written YAML file they are almost always typos.
 */

const TOP_KEYS = ['states', 'initial', 'error', 'errorState', 'transitions', 'sequences'];
const TRANSITION_KEYS = ['source', 'dest'];
const STEP_KEYS = ['transition', 'optional'];

export function fsmDefinitionFromData(data: unknown, where = 'fsm'): FsmDefinition {
  const problems: string[] = [];
  const def = readDefinition(data, where, problems);
  if (problems.length > 0 || !def) throw new FsmDefinitionError(problems, where);
  return def;
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(obj: Obj, allowed: string[], where: string, problems: string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) problems.push(`${where}: unknown key "${k}" (expected ${allowed.join(', ')})`);
  }
}

function readDefinition(data: unknown, where: string, problems: string[]): FsmDefinition | undefined {
  if (!isObject(data)) {
    problems.push(`${where}: expected a map with states and transitions, got ${describe(data)}`);
    return undefined;
  }
  unknownKeys(data, TOP_KEYS, where, problems);
  if ('error' in data && 'errorState' in data) {
    problems.push(`${where}: give either "error" or "errorState", not both`);
  }
  return {
    states: readStates(data.states, `${where}.states`, problems),
    initial: readName(data.initial ?? 'none', `${where}.initial`, problems),
    errorState: readName(data.error ?? data.errorState ?? 'error', `${where}.${'errorState' in data ? 'errorState' : 'error'}`, problems),
    transitions: readTransitions(data.transitions, `${where}.transitions`, problems),
    sequences: readSequences(data.sequences, `${where}.sequences`, problems),
  };
}

function readName(v: unknown, where: string, problems: string[]): string {
  if (typeof v === 'string') return v;
  problems.push(`${where}: expected a state name, got ${describe(v)}`);
  return '';
}

function readStates(v: unknown, where: string, problems: string[]): string[] {
  if (!Array.isArray(v)) {
    problems.push(`${where}: expected a list of state names, got ${describe(v)}`);
    return [];
  }
  return v.filter((s, i) => {
    if (typeof s === 'string') return true;
    problems.push(`${where}[${i}]: expected a state name, got ${describe(s)}`);
    return false;
  });
}

function readTransitions(v: unknown, where: string, problems: string[]): TransitionDef[] {
  if (Array.isArray(v)) {
    return v.flatMap((entry, i) => {
      const at = `${where}[${i}]`;
      if (!isObject(entry)) {
        problems.push(`${at}: expected { name, source, dest }, got ${describe(entry)}`);
        return [];
      }
      unknownKeys(entry, ['name', ...TRANSITION_KEYS], at, problems);
      if (typeof entry.name !== 'string') {
        problems.push(`${at}.name: expected a transition name, got ${describe(entry.name)}`);
        return [];
      }
      return readTransitionBody(entry.name, entry, at, problems);
    });
  }
  if (isObject(v)) {
    return Object.entries(v).flatMap(([name, body]) => {
      const at = `${where}.${name}`;
      if (!isObject(body)) {
        problems.push(`${at}: expected { source, dest }, got ${describe(body)}`);
        return [];
      }
      unknownKeys(body, TRANSITION_KEYS, at, problems);
      return readTransitionBody(name, body, at, problems);
    });
  }
  problems.push(`${where}: expected a map of transitions (or a list), got ${describe(v)}`);
  return [];
}

function readTransitionBody(name: string, body: Obj, at: string, problems: string[]): TransitionDef[] {
  const { source, dest } = body;
  let ok = true;
  if (source === undefined) {
    problems.push(`${at}: missing "source"`);
    ok = false;
  } else if (!(typeof source === 'string' || (Array.isArray(source) && source.every((s) => typeof s === 'string')))) {
    problems.push(`${at}.source: expected a state name, an "a|b" pattern, "*", or a list of state names, got ${describe(source)}`);
    ok = false;
  }
  if (dest !== undefined && dest !== null && typeof dest !== 'string') {
    problems.push(`${at}.dest: expected a state name (or nothing, to stay), got ${describe(dest)}`);
    ok = false;
  }
  if (!ok) return [];
  return [{ name, source: Array.isArray(source) ? [...(source as string[])] : (source as string), dest: (dest as string | null | undefined) ?? '' }];
}

function readSequences(v: unknown, where: string, problems: string[]): SequenceDef[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) {
    return v.flatMap((entry, i) => {
      const at = `${where}[${i}]`;
      if (!isObject(entry)) {
        problems.push(`${at}: expected { name, steps }, got ${describe(entry)}`);
        return [];
      }
      unknownKeys(entry, ['name', 'steps'], at, problems);
      if (typeof entry.name !== 'string') {
        problems.push(`${at}.name: expected a sequence name, got ${describe(entry.name)}`);
        return [];
      }
      return [{ name: entry.name, steps: readSteps(entry.steps, `${at}.steps`, problems) }];
    });
  }
  if (isObject(v)) {
    return Object.entries(v).map(([name, steps]) => ({ name, steps: readSteps(steps, `${where}.${name}`, problems) }));
  }
  problems.push(`${where}: expected a map of sequences (or a list), got ${describe(v)}`);
  return [];
}

function readSteps(v: unknown, where: string, problems: string[]): SequenceStep[] {
  if (!Array.isArray(v)) {
    problems.push(`${where}: expected a list of steps, got ${describe(v)}`);
    return [];
  }
  return v.flatMap((step, i) => {
    const at = `${where}[${i}]`;
    if (typeof step === 'string') {
      const m = /^\s*\[\s*([^\]]*?)\s*\]\s*$/.exec(step);
      if (m) return [{ transition: m[1], optional: true }];
      if (step.includes('[') || step.includes(']')) {
        problems.push(`${at}: "${step}" is malformed; write an optional step as "[name]"`);
        return [];
      }
      return [{ transition: step.trim() }];
    }
    if (isObject(step)) {
      unknownKeys(step, STEP_KEYS, at, problems);
      if (typeof step.transition !== 'string') {
        problems.push(`${at}.transition: expected a transition name, got ${describe(step.transition)}`);
        return [];
      }
      if (step.optional !== undefined && typeof step.optional !== 'boolean') {
        problems.push(`${at}.optional: expected true or false, got ${describe(step.optional)}`);
        return [];
      }
      return [step.optional ? { transition: step.transition, optional: true } : { transition: step.transition }];
    }
    problems.push(`${at}: expected a transition name, "[name]" for an optional step, or { transition, optional }, got ${describe(step)}`);
    return [];
  });
}
