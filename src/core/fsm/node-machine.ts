import { assign, initialTransition, setup, transition as xstateTransition, type SnapshotFrom } from 'xstate';
import type { Fsm } from './fsm';
import { inProgressState } from './names';
import type { NodeFsmSnapshot } from './types';

interface NodeContext {
  /** While a transition runs: the stable state it started from. */
  source?: string;
  /** While a transition runs: where success leads. */
  target?: string;
  transition?: string;
  /** Set only in the error state. */
  error?: string;
}

type NodeEvent =
  | { type: `begin:${string}` }
  | { type: 'succeed' }
  | { type: 'fail'; reason: string }
  | { type: 'force'; state: string; reason?: string };

const IDLE: NodeContext = { source: undefined, target: undefined, transition: undefined, error: undefined };

/*
 * Everything that varies per FSM is baked into the machine config as static params, so a
 * running actor never allocates per-state structures: an event is one map lookup in the
 * current xstate state node plus one context assign.
 */
const nodeSetup = setup({
  types: { context: {} as NodeContext, events: {} as NodeEvent },
  actions: {
    enter: assign((_, p: { transition: string; source: string; target: string }) => ({
      transition: p.transition,
      source: p.source,
      target: p.target,
      error: undefined,
    })),
    // An any-state transition (abort) replacing the one in progress keeps the original source:
    // that is the last state the node was known to be in.
    interrupt: assign(({ context }, p: { transition: string; dest: string }) => ({
      transition: p.transition,
      target: p.dest || context.source,
    })),
    settle: assign(() => IDLE),
    failed: assign(({ event }) => ({ ...IDLE, error: event.type === 'fail' ? event.reason : 'failed' })),
    forced: assign(({ event }, p: { isError: boolean }) => ({
      ...IDLE,
      error: p.isError && event.type === 'force' ? (event.reason ?? 'forced into the error state') : undefined,
    })),
  },
  guards: {
    forcedTo: ({ event }, p: { state: string }) => event.type === 'force' && event.state === p.state,
    cameFrom: ({ context }, p: { state: string }) => context.source === p.state,
  },
});

type NodeMachine = ReturnType<typeof buildNodeMachine>;
type StatesConfig = NonNullable<Parameters<typeof nodeSetup.createMachine>[0]['states']>;
type StateConfig = StatesConfig[string];
type OnConfig = NonNullable<StateConfig['on']>;

/** One machine per Fsm, shared by all its nodes; keyed weakly so it dies with the Fsm. */
const machines = new WeakMap<Fsm, NodeMachine>();

export function nodeMachineFor(fsm: Fsm): NodeMachine {
  let machine = machines.get(fsm);
  if (!machine) {
    machine = buildNodeMachine(fsm);
    machines.set(fsm, machine);
  }
  return machine;
}

export function beginEvent(transition: string): `begin:${string}` {
  return `begin:${transition}`;
}

function buildNodeMachine(fsm: Fsm) {
  const transitions = fsm.transitionNames.map((n) => fsm.transition(n)).filter((t) => t !== undefined);
  const anySourced = transitions.filter((t) => t.fromAnyState);
  const states: StatesConfig = {};

  for (const s of fsm.states) {
    const on: OnConfig = {};
    for (const name of fsm.allowedFrom(s)) {
      on[beginEvent(name)] = {
        target: inProgressState(name),
        actions: { type: 'enter', params: { transition: name, source: s, target: fsm.destination(s, name) } },
      };
    }
    states[s] = { on };
  }

  for (const t of transitions) {
    const on: OnConfig = {
      // A stay-transition's target depends on where it started; xstate targets are static,
      // so pick it with one guarded branch per possible source.
      succeed: t.stay
        ? t.sources.map((s) => ({ guard: { type: 'cameFrom' as const, params: { state: s } }, target: s, actions: 'settle' as const }))
        : { target: t.dest, actions: 'settle' },
      fail: { target: fsm.errorState, actions: 'failed' },
    };
    for (const w of anySourced) {
      if (w.name === t.name) continue;
      on[beginEvent(w.name)] = {
        target: inProgressState(w.name),
        actions: { type: 'interrupt', params: { transition: w.name, dest: w.dest } },
      };
    }
    states[inProgressState(t.name)] = { on };
  }

  return nodeSetup.createMachine({
    id: 'baton-node',
    initial: fsm.initial,
    context: IDLE,
    states,
    on: {
      // Forcing is rare (process death, abort, recover, reattach), so a linear guard scan
      // over the states is fine here.
      force: fsm.states.map((s) => ({
        guard: { type: 'forcedTo' as const, params: { state: s } },
        target: `.${s}`,
        actions: { type: 'forced' as const, params: { isError: s === fsm.errorState } },
      })),
    },
  });
}

export type NodeFsmListener = (snapshot: NodeFsmSnapshot) => void;

type MachineSnapshot = SnapshotFrom<NodeMachine>;

/**
 * Snapshots shared by every node of one machine. The machine is flat and its context is a
 * pure function of (state, event), so a snapshot without an error message is fully
 * described by its state and the transition in progress: equal ones are interned, and
 * the xstate step from an interned snapshot on a payload-free event (begin, succeed,
 * force to a non-error state) is computed once per machine and then looked up. A
 * thousand applications taking the same transition cost one xstate macrostep, not a
 * thousand snapshot allocations.
 */
interface MachineCache {
  initial: MachineSnapshot;
  interned: Map<string, MachineSnapshot>;
  steps: WeakMap<MachineSnapshot, Map<string, MachineSnapshot>>;
}

const caches = new WeakMap<NodeMachine, MachineCache>();

function cacheFor(machine: NodeMachine): MachineCache {
  let c = caches.get(machine);
  if (!c) {
    c = { initial: initialTransition(machine)[0], interned: new Map(), steps: new WeakMap() };
    c.initial = intern(c, c.initial);
    caches.set(machine, c);
  }
  return c;
}

function intern(cache: MachineCache, snap: MachineSnapshot): MachineSnapshot {
  const ctx = snap.context;
  if (ctx.error !== undefined) return snap;
  const key = `${stateValue(snap)}\u0000${ctx.transition ?? ''}\u0000${ctx.source ?? ''}\u0000${ctx.target ?? ''}`;
  const known = cache.interned.get(key);
  if (known) return known;
  cache.interned.set(key, snap);
  return snap;
}

/**
 * One node's state machine. The controller creates one per application and segment, so
 * reads are allocation-free and the public snapshot object is built only when asked for
 * or when someone listens. The xstate machine decides every step (through xstate's pure
 * `transition`); steps are memoised per machine, see MachineCache.
 */
export class NodeFsm {
  readonly fsm: Fsm;
  private readonly machine: NodeMachine;
  private readonly cache: MachineCache;
  private current: MachineSnapshot;
  private readonly listeners = new Set<NodeFsmListener>();
  private cached: NodeFsmSnapshot | undefined;
  private stopped = false;

  constructor(fsm: Fsm, initialState?: string) {
    this.fsm = fsm;
    const machine = nodeMachineFor(fsm);
    if (initialState !== undefined && !fsm.isState(initialState)) {
      throw new Error(`unknown state "${initialState}" (states: ${fsm.states.join(', ')})`);
    }
    this.machine = machine;
    this.cache = cacheFor(machine);
    this.current =
      initialState === undefined || initialState === fsm.initial
        ? this.cache.initial
        : intern(this.cache, machine.resolveState({ value: initialState, context: IDLE }));
  }

  get snapshot(): NodeFsmSnapshot {
    if (!this.cached) this.cached = this.build();
    return this.cached;
  }

  /** Stable state; while a transition runs, the state it started from. */
  get state(): string {
    const snap = this.current;
    return snap.context.transition !== undefined ? (snap.context.source as string) : stateValue(snap);
  }

  get inProgress(): boolean {
    return this.current.context.transition !== undefined;
  }

  /** The transition in progress, if any. */
  get transition(): string | undefined {
    return this.current.context.transition;
  }

  /** The raw xstate state: a declared state, or `<transition>_ing` while one runs (as nanorc shows it). */
  get machineState(): string {
    return stateValue(this.current);
  }

  /** Whether `begin(transition)` would be accepted now. */
  canBegin(transition: string): boolean {
    return this.whyNot(transition) === undefined;
  }

  begin(transition: string): void {
    const why = this.whyNot(transition);
    if (why) throw new Error(why);
    const type = beginEvent(transition);
    this.send({ type }, inProgressState(transition), type);
  }

  /** The transition in progress completed: go to its target. */
  succeed(): void {
    const ctx = this.requireInProgress('succeed');
    this.send({ type: 'succeed' }, ctx.target as string, 'succeed');
  }

  /** The transition in progress failed: go to the error state, keeping `reason`. */
  fail(reason: string): void {
    this.requireInProgress('fail');
    this.send({ type: 'fail', reason }, this.fsm.errorState);
  }

  /**
   * Sets the state directly, cancelling any transition in progress: a process died, abort
   * finished, an operator recovered, or the controller reattached to running processes.
   * `reason` is kept only when `state` is the error state.
   */
  force(state: string, reason?: string): void {
    this.requireRunning();
    if (!this.fsm.isState(state)) {
      throw new Error(`cannot force unknown state "${state}" (states: ${this.fsm.states.join(', ')})`);
    }
    this.send({ type: 'force', state, reason }, state, state === this.fsm.errorState ? undefined : `force\u0000${state}`);
  }

  /**
   * Called synchronously after every change of the snapshot (not on subscribe). A throwing
   * listener does not stop the others; the first error is rethrown once all have run, after
   * the state change has already happened.
   */
  subscribe(listener: NodeFsmListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.listeners.clear();
  }

  private whyNot(transition: string): string | undefined {
    if (this.stopped) return `cannot begin "${transition}": this node's state machine is stopped`;
    const t = this.fsm.transition(transition);
    if (!t) return `cannot begin "${transition}": ${this.fsm.notAllowedMessage(this.state, transition)}`;
    const ctx = this.current.context;
    if (ctx.transition !== undefined) {
      if (t.fromAnyState && ctx.transition !== transition) return undefined;
      return (
        `cannot begin "${transition}": transition "${ctx.transition}" is already in progress ` +
        `(${ctx.source} -> ${ctx.target})`
      );
    }
    const state = this.state;
    if (!this.fsm.canFire(state, transition)) return `cannot begin "${transition}": ${this.fsm.notAllowedMessage(state, transition)}`;
    return undefined;
  }

  private requireInProgress(what: string): NodeContext {
    this.requireRunning();
    const ctx = this.current.context;
    if (ctx.transition === undefined) {
      throw new Error(`cannot ${what}: no transition is in progress (state "${this.state}")`);
    }
    return ctx;
  }

  private requireRunning(): void {
    if (this.stopped) throw new Error("this node's state machine is stopped");
  }

  /** `memoKey` is given only for events whose outcome does not depend on their payload. */
  private send(event: NodeEvent, expected: string, memoKey?: string): void {
    const before = this.cached ?? (this.listeners.size > 0 ? this.build() : undefined);
    const from = this.current;
    let next: MachineSnapshot | undefined;
    let memo: Map<string, MachineSnapshot> | undefined;
    if (memoKey !== undefined) {
      memo = this.cache.steps.get(from);
      next = memo?.get(memoKey);
    }
    if (!next) {
      next = intern(this.cache, xstateTransition(this.machine, from, event)[0]);
      if (memoKey !== undefined) {
        if (!memo) this.cache.steps.set(from, (memo = new Map()));
        memo.set(memoKey, next);
      }
    }
    const now = stateValue(next);
    if (now !== expected) {
      // The checks above mirror the machine; reaching here means they disagree.
      throw new Error(`internal error: event "${event.type}" left the node in "${now}", expected "${expected}"`);
    }
    this.current = next;
    this.cached = undefined;
    if (this.listeners.size === 0) return;
    const after = this.snapshot;
    if (before && sameSnapshot(before, after)) return;
    let firstError: unknown;
    for (const listener of this.listeners) {
      try {
        listener(after);
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  private build(): NodeFsmSnapshot {
    const snap = this.current;
    const { context } = snap;
    if (context.transition !== undefined) {
      return { state: context.source as string, transition: context.transition, target: context.target as string };
    }
    const state = stateValue(snap);
    return context.error !== undefined ? { state, error: context.error } : { state };
  }
}

/**
 * The machine is flat (no nested states), so its value is always a state key; xstate's
 * inferred type cannot know that for a config built at run time.
 */
function stateValue(snapshot: { value: unknown }): string {
  return snapshot.value as string;
}

function sameSnapshot(a: NodeFsmSnapshot, b: NodeFsmSnapshot): boolean {
  return a.state === b.state && a.transition === b.transition && a.target === b.target && a.error === b.error;
}
