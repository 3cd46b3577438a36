/** A transition as written in a run configuration or the built-in default FSM. */
export interface TransitionDef {
  name: string;
  /**
   * States the transition may start from: a list, or a pattern string as drunc allows
   * (`"ready|running"`, or `"*"` / `"any"` for every state).
   */
  source: string[] | string;
  /** Destination state; empty string means "stay in the source state" (e.g. change_rate). */
  dest: string;
}

export interface SequenceStep {
  transition: string;
  /** Skipped when not allowed from the state the sequence has reached. */
  optional?: boolean;
}

export interface SequenceDef {
  name: string;
  steps: SequenceStep[];
}

export interface FsmDefinition {
  states: string[];
  /** State of a node before `boot` (DUNE: `none`). */
  initial: string;
  /** The error state (DUNE: `error`). */
  errorState: string;
  transitions: TransitionDef[];
  sequences: SequenceDef[];
}

/** What one node's state machine looks like from outside. */
export interface NodeFsmSnapshot {
  /** Stable state, or the state the node was in when the current transition began. */
  state: string;
  /** Set while a transition is in progress. */
  transition?: string;
  /** Destination of the transition in progress. */
  target?: string;
  /** Reason kept while `state` is the error state. */
  error?: string;
}

/** Result of planning a sequence from a given state. */
export type SequencePlan =
  | { ok: true; steps: string[]; skipped: string[] }
  | { ok: false; error: string; steps: string[] };

/**
 * A transition after compilation: the source pattern expanded against the declared states.
 * Extends TransitionDef so code written against the raw definition keeps working.
 */
export interface ResolvedTransition extends TransitionDef {
  /** Every state the transition may start from, in declaration order of the states. */
  sources: string[];
  /** True when `dest` is empty: the node ends where it started (e.g. change_rate). */
  stay: boolean;
  /**
   * True when the source was written as `"*"` / `"any"`. Such transitions (abort) are also
   * allowed while another transition is in progress, as in nanorc, and are avoided by
   * shortest-path planning unless nothing else works.
   */
  fromAnyState: boolean;
}
