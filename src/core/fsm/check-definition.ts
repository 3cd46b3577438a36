import { inProgressState, isAnyKeyword, nameProblem } from './names';
import { parseSource } from './source-pattern';
import type { FsmDefinition, ResolvedTransition } from './types';

export interface DefinitionAnalysis {
  problems: string[];
  /** Transitions whose name and source could be understood, in definition order. */
  transitions: ResolvedTransition[];
}

/**
 * Finds every inconsistency in a definition. It keeps going after a problem so that one
 * run reports all of them; later checks only use the parts that were understood, so one
 * mistake does not cascade into a page of follow-on messages.
 */
export function analyseDefinition(def: FsmDefinition): DefinitionAnalysis {
  const problems: string[] = [];
  const states = checkStates(def, problems);
  const stateSet = new Set(states);
  checkSpecialState('initial', def.initial, stateSet, problems);
  checkSpecialState('error', def.errorState, stateSet, problems);
  const declared = new Set<string>();
  const transitions = checkTransitions(def, states, stateSet, declared, problems);
  checkSequences(def, declared, problems);
  // Reachability is only meaningful for an otherwise sound graph: a misspelt source would
  // otherwise also be reported as every state behind it being unreachable.
  if (problems.length === 0) checkReachability(def, states, transitions, problems);
  return { problems, transitions };
}

function checkStates(def: FsmDefinition, problems: string[]): string[] {
  if (!Array.isArray(def.states)) {
    problems.push('states must be a list of state names');
    return [];
  }
  if (def.states.length === 0) problems.push('no states are declared');
  const seen = new Set<string>();
  def.states.forEach((state, i) => {
    const bad = nameProblem(state);
    if (bad) {
      problems.push(`state #${i + 1}: name ${bad}`);
    } else if (isAnyKeyword(state)) {
      problems.push(`state "${state}": "any" is reserved (it means every state in a source)`);
    } else if (seen.has(state)) {
      problems.push(`state "${state}" is declared more than once`);
    }
    if (typeof state === 'string') seen.add(state);
  });
  return [...seen].filter((s) => !nameProblem(s) && !isAnyKeyword(s));
}

function checkSpecialState(role: string, value: unknown, states: Set<string>, problems: string[]): void {
  if (typeof value !== 'string' || value.length === 0) {
    problems.push(`the ${role} state is not set`);
  } else if (!states.has(value)) {
    problems.push(`the ${role} state "${value}" is not a declared state`);
  }
}

function checkTransitions(
  def: FsmDefinition,
  states: string[],
  stateSet: Set<string>,
  declared: Set<string>,
  problems: string[],
): ResolvedTransition[] {
  if (!Array.isArray(def.transitions)) {
    problems.push('transitions must be a list');
    return [];
  }
  const resolved: ResolvedTransition[] = [];
  def.transitions.forEach((t, i) => {
    const bad = nameProblem(t?.name);
    if (bad) {
      problems.push(`transition #${i + 1}: name ${bad}`);
      return;
    }
    const where = `transition "${t.name}"`;
    if (declared.has(t.name)) {
      problems.push(`${where} is declared more than once`);
      return;
    }
    declared.add(t.name);
    const ing = inProgressState(t.name);
    if (stateSet.has(ing)) {
      problems.push(`${where}: its in-progress state "${ing}" clashes with a declared state`);
    }

    const dest = t.dest ?? '';
    if (typeof dest !== 'string') {
      problems.push(`${where}: destination must be a state name or empty (stay)`);
    } else if (dest !== '' && !stateSet.has(dest)) {
      problems.push(`${where}: destination state "${dest}" is not a declared state`);
    }

    const parsed = parseSource(t.source);
    if (!parsed.ok) {
      for (const p of parsed.problems) problems.push(`${where}: ${p}`);
      return;
    }
    let sources: string[];
    if (parsed.spec.any) {
      sources = [...states];
    } else {
      const unknown = parsed.spec.states.filter((s) => !stateSet.has(s));
      for (const s of unknown) problems.push(`${where}: source state "${s}" is not a declared state`);
      const wanted = new Set(parsed.spec.states);
      sources = states.filter((s) => wanted.has(s));
    }
    resolved.push({
      name: t.name,
      source: t.source,
      dest: typeof dest === 'string' ? dest : '',
      sources,
      stay: dest === '',
      fromAnyState: parsed.spec.any,
    });
  });
  return resolved;
}

function checkSequences(def: FsmDefinition, transitions: Set<string>, problems: string[]): void {
  const sequences = def.sequences ?? [];
  if (!Array.isArray(sequences)) {
    problems.push('sequences must be a list');
    return;
  }
  const seen = new Set<string>();
  sequences.forEach((seq, i) => {
    const bad = nameProblem(seq?.name);
    if (bad) {
      problems.push(`sequence #${i + 1}: name ${bad}`);
      return;
    }
    const where = `sequence "${seq.name}"`;
    if (seen.has(seq.name)) problems.push(`${where} is declared more than once`);
    seen.add(seq.name);
    if (transitions.has(seq.name)) problems.push(`${where} has the same name as a transition`);
    if (!Array.isArray(seq.steps) || seq.steps.length === 0) {
      problems.push(`${where} has no steps`);
      return;
    }
    seq.steps.forEach((step, j) => {
      const name: unknown = step?.transition;
      if (typeof name !== 'string' || name.length === 0) {
        problems.push(`${where}, step ${j + 1}: no transition named`);
      } else if (!transitions.has(name)) {
        problems.push(`${where}, step ${j + 1}: "${name}" is not a declared transition`);
      }
    });
  });
}

/**
 * Assumes the rest of the definition is sound. The error state is exempt: nothing transitions into it, a failure anywhere lands there.
 * Its outgoing transitions still count, since a node can always end up in it.
 */
function checkReachability(
  def: FsmDefinition,
  states: string[],
  transitions: ResolvedTransition[],
  problems: string[],
): void {
  const reached = new Set<string>([def.initial]);
  const queue = [def.initial];
  if (states.includes(def.errorState) && !reached.has(def.errorState)) {
    reached.add(def.errorState);
    queue.push(def.errorState);
  }
  while (queue.length > 0) {
    const from = queue.shift() as string;
    for (const t of transitions) {
      if (t.stay || !t.sources.includes(from) || reached.has(t.dest)) continue;
      reached.add(t.dest);
      queue.push(t.dest);
    }
  }
  for (const s of states) {
    if (!reached.has(s)) problems.push(`state "${s}" is not reachable from the initial state "${def.initial}"`);
  }
}
