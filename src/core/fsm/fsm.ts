import { analyseDefinition } from './check-definition';
import { toDot, toMermaid, type DiagramOptions } from './diagram';
import { FsmDefinitionError } from './errors';
import { fsmDefinitionFromData } from './from-data';
import type { FsmDefinition, ResolvedTransition, SequenceDef, SequencePlan } from './types';

/**
 * A checked, indexed FSM definition. Immutable after compile, so one instance is shared by
 * every node of a session (and carries the per-FSM xstate machine, see node-machine.ts).
 * Lookups the controller does per node and per transition are O(1) map hits.
 */
export class Fsm {
  readonly definition: FsmDefinition;
  readonly states: readonly string[];
  readonly initial: string;
  readonly errorState: string;
  readonly transitionNames: readonly string[];
  readonly sequenceNames: readonly string[];

  private readonly stateSet: ReadonlySet<string>;
  private readonly byName: ReadonlyMap<string, ResolvedTransition>;
  private readonly sequencesByName: ReadonlyMap<string, SequenceDef>;
  /** state -> transition -> resolved destination (stay already replaced by the state). */
  private readonly moves: ReadonlyMap<string, ReadonlyMap<string, string>>;
  private readonly allowed: ReadonlyMap<string, readonly string[]>;

  private constructor(def: FsmDefinition, transitions: ResolvedTransition[]) {
    this.definition = def;
    this.states = Object.freeze([...def.states]);
    this.initial = def.initial;
    this.errorState = def.errorState;
    this.stateSet = new Set(this.states);
    this.byName = new Map(transitions.map((t) => [t.name, Object.freeze(t)]));
    this.transitionNames = Object.freeze(transitions.map((t) => t.name));
    this.sequencesByName = new Map(def.sequences.map((s) => [s.name, s]));
    this.sequenceNames = Object.freeze(def.sequences.map((s) => s.name));

    const moves = new Map<string, Map<string, string>>();
    for (const s of this.states) moves.set(s, new Map());
    for (const t of transitions) {
      for (const s of t.sources) moves.get(s)?.set(t.name, t.stay ? s : t.dest);
    }
    this.moves = moves;
    this.allowed = new Map([...moves].map(([s, m]) => [s, Object.freeze([...m.keys()])]));
  }

  /** Checks and indexes a definition; throws FsmDefinitionError listing every problem. */
  static compile(def: FsmDefinition, where?: string): Fsm {
    if (!def || typeof def !== 'object') throw new FsmDefinitionError(['the definition is not an object'], where);
    const { problems, transitions } = analyseDefinition(def);
    if (problems.length > 0) throw new FsmDefinitionError(problems, where);
    return new Fsm(snapshotDefinition(def), transitions);
  }

  /**
   * Reads a user's FSM from plain data (YAML `spec.fsm`); see from-data.ts for the accepted
   * shape. Checks the shape only: pass the result to `compile` for the consistency checks.
   */
  static fromData(data: unknown, where?: string): FsmDefinition {
    return fsmDefinitionFromData(data, where);
  }

  isState(name: string): boolean {
    return this.stateSet.has(name);
  }

  isTransition(name: string): boolean {
    return this.byName.has(name);
  }

  isSequence(name: string): boolean {
    return this.sequencesByName.has(name);
  }

  transition(name: string): ResolvedTransition | undefined {
    return this.byName.get(name);
  }

  sequence(name: string): SequenceDef | undefined {
    return this.sequencesByName.get(name);
  }

  /** States `transition` may start from. Throws for an unknown transition. */
  sources(transition: string): string[] {
    return [...this.requireTransition(transition).sources];
  }

  /** Transitions allowed from `state`, in definition order; [] for an unknown state. */
  allowedFrom(state: string): string[] {
    return [...(this.allowed.get(state) ?? [])];
  }

  canFire(state: string, transition: string): boolean {
    return this.moves.get(state)?.has(transition) ?? false;
  }

  /** Where `transition` leads from `state` (a stay-transition leads back to `state`). */
  destination(state: string, transition: string): string {
    const dest = this.moves.get(state)?.get(transition);
    if (dest === undefined) throw new Error(this.notAllowedMessage(state, transition));
    return dest;
  }

  /**
   * Explains why `transition` cannot fire from `state`, for errors shown to operators:
   * names the states it is allowed from and what is allowed from here.
   */
  notAllowedMessage(state: string, transition: string): string {
    if (!this.stateSet.has(state)) return `unknown state "${state}" (states: ${this.states.join(', ')})`;
    if (!this.byName.has(transition)) {
      return `unknown transition "${transition}" (transitions: ${this.transitionNames.join(', ')})`;
    }
    return `transition "${transition}" is not allowed from state "${state}" (${this.allowedDetail(state, transition)})`;
  }

  /**
   * Resolves a sequence against a starting state, assuming each step succeeds. Optional
   * steps not allowed from the state reached so far are skipped; a required one stops the
   * plan, and `steps` then holds what could have run before it.
   */
  planSequence(name: string, fromState: string): SequencePlan {
    const seq = this.sequencesByName.get(name);
    if (!seq) {
      return { ok: false, error: `unknown sequence "${name}" (sequences: ${this.sequenceNames.join(', ') || 'none'})`, steps: [] };
    }
    if (!this.stateSet.has(fromState)) {
      return { ok: false, error: `sequence "${name}": unknown state "${fromState}"`, steps: [] };
    }
    const steps: string[] = [];
    const skipped: string[] = [];
    let state = fromState;
    for (const step of seq.steps) {
      const dest = this.moves.get(state)?.get(step.transition);
      if (dest !== undefined) {
        steps.push(step.transition);
        state = dest;
      } else if (step.optional) {
        skipped.push(step.transition);
      } else {
        const error =
          `sequence "${name}": required step "${step.transition}" is not allowed from state "${state}" ` +
          `(${this.allowedDetail(state, step.transition)})`;
        return { ok: false, error, steps };
      }
    }
    return { ok: true, steps, skipped };
  }

  /**
   * Fewest transitions leading from `from` to `to`, or undefined if there is no way.
   * Breadth-first, exploring transitions in definition order so equal-length answers are
   * stable. Transitions sourced from any state (abort) are used only when no path exists
   * without them: otherwise running -> none would be a single abort, which kills processes
   * instead of stopping them in order. Stay-transitions never move, so they never appear.
   */
  shortestPath(from: string, to: string): string[] | undefined {
    for (const s of [from, to]) {
      if (!this.stateSet.has(s)) throw new Error(`unknown state "${s}" (states: ${this.states.join(', ')})`);
    }
    if (from === to) return [];
    return this.breadthFirst(from, to, false) ?? this.breadthFirst(from, to, true);
  }

  toMermaid(opts?: DiagramOptions): string {
    return toMermaid(this, opts);
  }

  toDot(opts?: DiagramOptions): string {
    return toDot(this, opts);
  }

  private breadthFirst(from: string, to: string, useAnySource: boolean): string[] | undefined {
    const via = new Map<string, { prev: string; transition: string }>();
    const queue = [from];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head];
      for (const [name, dest] of this.moves.get(state) ?? []) {
        if (dest === state || dest === from || via.has(dest)) continue;
        if (!useAnySource && this.byName.get(name)?.fromAnyState) continue;
        via.set(dest, { prev: state, transition: name });
        if (dest === to) return unwind(via, from, to);
        queue.push(dest);
      }
    }
    return undefined;
  }

  private allowedDetail(state: string, transition: string): string {
    const sources = this.byName.get(transition)?.sources ?? [];
    const here = this.allowed.get(state) ?? [];
    return `it is allowed from: ${sources.join(', ') || 'no state'}; allowed from "${state}": ${here.join(', ') || 'nothing'}`;
  }

  private requireTransition(name: string): ResolvedTransition {
    const t = this.byName.get(name);
    if (!t) throw new Error(`unknown transition "${name}" (transitions: ${this.transitionNames.join(', ')})`);
    return t;
  }
}

function unwind(via: Map<string, { prev: string; transition: string }>, from: string, to: string): string[] {
  const path: string[] = [];
  for (let s = to; s !== from; ) {
    const step = via.get(s) as { prev: string; transition: string };
    path.push(step.transition);
    s = step.prev;
  }
  return path.reverse();
}

/** A private deep copy, so later edits to the caller's object cannot desynchronise the indexes. */
function snapshotDefinition(def: FsmDefinition): FsmDefinition {
  return Object.freeze({
    states: Object.freeze([...def.states]) as string[],
    initial: def.initial,
    errorState: def.errorState,
    transitions: Object.freeze(
      def.transitions.map((t) =>
        Object.freeze({
          name: t.name,
          source: typeof t.source === 'string' ? t.source : (Object.freeze([...t.source]) as string[]),
          dest: t.dest ?? '',
        }),
      ),
    ) as FsmDefinition['transitions'],
    sequences: Object.freeze(
      (def.sequences ?? []).map((s) =>
        Object.freeze({
          name: s.name,
          steps: Object.freeze(s.steps.map((st) => Object.freeze({ ...st }))) as SequenceDef['steps'],
        }),
      ),
    ) as FsmDefinition['sequences'],
  });
}
