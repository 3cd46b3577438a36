import assert from 'node:assert/strict';
import { DEFAULT_FSM, Fsm, FsmDefinitionError, type FsmDefinition } from '../../../src/core/fsm';

/** A small valid FSM that each test breaks in one way. */
function base(): FsmDefinition {
  return {
    states: ['none', 'initial', 'configured', 'error'],
    initial: 'none',
    errorState: 'error',
    transitions: [
      { name: 'boot', source: ['none'], dest: 'initial' },
      { name: 'conf', source: ['initial'], dest: 'configured' },
      { name: 'terminate', source: 'initial|configured|error', dest: 'none' },
    ],
    sequences: [{ name: 'up', steps: [{ transition: 'boot', optional: true }, { transition: 'conf' }] }],
  };
}

function problemsOf(def: FsmDefinition): string[] {
  try {
    Fsm.compile(def);
  } catch (err) {
    assert.ok(err instanceof FsmDefinitionError, `expected FsmDefinitionError, got ${String(err)}`);
    for (const p of err.problems) assert.ok(err.message.includes(p), `message lists "${p}"`);
    return err.problems;
  }
  assert.fail('compile accepted an invalid definition');
}

describe('Fsm.compile consistency checks', () => {
  it('accepts the base and default definitions', () => {
    assert.ok(Fsm.compile(base()));
    assert.ok(Fsm.compile(DEFAULT_FSM));
  });

  it('unknown source state', () => {
    const def = base();
    def.transitions[1].source = ['initialised'];
    assert.deepEqual(problemsOf(def), ['transition "conf": source state "initialised" is not a declared state']);
  });

  it('unknown source state inside a pattern', () => {
    const def = base();
    def.transitions[2].source = 'initial|configurd|error';
    assert.deepEqual(problemsOf(def), ['transition "terminate": source state "configurd" is not a declared state']);
  });

  it('unknown destination state', () => {
    const def = base();
    def.transitions[1].dest = 'configurd';
    assert.deepEqual(problemsOf(def), ['transition "conf": destination state "configurd" is not a declared state']);
  });

  it('duplicate state', () => {
    const def = base();
    def.states.push('initial');
    assert.deepEqual(problemsOf(def), ['state "initial" is declared more than once']);
  });

  it('duplicate transition', () => {
    const def = base();
    def.transitions.push({ name: 'conf', source: 'none', dest: 'configured' });
    assert.deepEqual(problemsOf(def), ['transition "conf" is declared more than once']);
  });

  it('duplicate sequence', () => {
    const def = base();
    def.sequences.push({ name: 'up', steps: [{ transition: 'boot' }] });
    assert.deepEqual(problemsOf(def), ['sequence "up" is declared more than once']);
  });

  it('sequence naming an unknown transition', () => {
    const def = base();
    def.sequences[0].steps.push({ transition: 'start' });
    assert.deepEqual(problemsOf(def), ['sequence "up", step 3: "start" is not a declared transition']);
  });

  it('sequence whose name clashes with a transition', () => {
    const def = base();
    def.sequences.push({ name: 'conf', steps: [{ transition: 'conf' }] });
    assert.deepEqual(problemsOf(def), ['sequence "conf" has the same name as a transition']);
  });

  it('sequence without steps', () => {
    const def = base();
    def.sequences.push({ name: 'nothing', steps: [] });
    assert.deepEqual(problemsOf(def), ['sequence "nothing" has no steps']);
  });

  it('initial state not declared', () => {
    const def = base();
    def.initial = 'off';
    assert.deepEqual(problemsOf(def), ['the initial state "off" is not a declared state']);
  });

  it('error state not declared', () => {
    const def = base();
    def.errorState = 'failed';
    assert.deepEqual(problemsOf(def), ['the error state "failed" is not a declared state']);
  });

  it('empty initial and error states', () => {
    const def = base();
    def.initial = '';
    def.errorState = '';
    assert.deepEqual(problemsOf(def), ['the initial state is not set', 'the error state is not set']);
  });

  it('unreachable state', () => {
    const def = base();
    def.states.push('orphan');
    assert.deepEqual(problemsOf(def), ['state "orphan" is not reachable from the initial state "none"']);
  });

  it('the error state needs no incoming transition, and its exits count for reachability', () => {
    const def = base();
    def.states.push('recovering');
    def.transitions.push({ name: 'recover', source: 'error', dest: 'recovering' });
    def.transitions.push({ name: 'done', source: 'recovering', dest: 'none' });
    assert.ok(Fsm.compile(def).isState('recovering'));
  });

  it('a stay-transition does not make a state reachable', () => {
    const def = base();
    def.states.push('island');
    def.transitions.push({ name: 'poke', source: 'island', dest: '' });
    assert.deepEqual(problemsOf(def), ['state "island" is not reachable from the initial state "none"']);
  });

  it('invalid patterns', () => {
    const def = base();
    def.transitions[0].source = 'none||initial';
    def.transitions[1].source = 'initial|*';
    def.transitions[2].source = '';
    assert.deepEqual(problemsOf(def), [
      'transition "boot": source pattern "none||initial" has an empty alternative',
      'transition "conf": source pattern "initial|*": "*" (any state) must be the whole source',
      'transition "terminate": source is empty',
    ]);
  });

  it('invalid names in patterns and lists, empty and mixed lists', () => {
    const def = base();
    def.transitions[0].source = ['none', 'bad name'];
    def.transitions[1].source = [];
    def.transitions[2].source = ['any', 'initial'];
    assert.deepEqual(problemsOf(def), [
      'transition "boot": source list entry 2: name "bad name" is not valid (use letters, digits, "_" and "-", starting with a letter)',
      'transition "conf": source list is empty',
      'transition "terminate": source list entry 1: "any" (any state) must be the whole source',
    ]);
  });

  it('a non-string, non-list source', () => {
    const def = base();
    (def.transitions[0] as { source: unknown }).source = 42;
    assert.deepEqual(problemsOf(def), [
      'transition "boot": source must be a state name, an "a|b" pattern, "*", or a list of state names',
    ]);
  });

  it('empty names', () => {
    const def = base();
    def.states.push('');
    def.transitions.push({ name: '', source: 'none', dest: 'initial' });
    def.sequences.push({ name: '', steps: [{ transition: 'boot' }] });
    def.sequences[0].steps.push({ transition: '' });
    assert.deepEqual(problemsOf(def), [
      'state #5: name is empty',
      'transition #4: name is empty',
      'sequence "up", step 3: no transition named',
      'sequence #2: name is empty',
    ]);
  });

  it('invalid and reserved state names', () => {
    const def = base();
    def.states.push('a.b', 'any');
    assert.deepEqual(problemsOf(def), [
      'state #5: name "a.b" is not valid (use letters, digits, "_" and "-", starting with a letter)',
      'state "any": "any" is reserved (it means every state in a source)',
    ]);
  });

  it('a state clashing with a transition\'s in-progress state', () => {
    const def = base();
    def.states.push('boot_ing');
    def.transitions.push({ name: 'x', source: 'none', dest: 'boot_ing' });
    assert.deepEqual(problemsOf(def), ['transition "boot": its in-progress state "boot_ing" clashes with a declared state']);
  });

  it('no states at all', () => {
    const problems = problemsOf({ states: [], initial: 'none', errorState: 'error', transitions: [], sequences: [] });
    assert.deepEqual(problems, [
      'no states are declared',
      'the initial state "none" is not a declared state',
      'the error state "error" is not a declared state',
    ]);
  });

  it('reports every problem at once, with a readable message', () => {
    const def = base();
    def.initial = 'off';
    def.transitions[1].source = ['initialised'];
    let err: unknown;
    try {
      Fsm.compile(def, 'spec.fsm');
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof FsmDefinitionError);
    assert.equal(
      err.message,
      'invalid FSM definition in spec.fsm (2 problems):\n' +
        '  - the initial state "off" is not a declared state\n' +
        '  - transition "conf": source state "initialised" is not a declared state',
    );
  });

  it('accepts "*", "any" and ["*"] as every state, and "a | b" with spaces', () => {
    const def = base();
    def.transitions.push({ name: 'abort', source: 'any', dest: 'none' });
    def.transitions.push({ name: 'reset', source: ['*'], dest: 'none' });
    def.transitions.push({ name: 'poke', source: 'initial | configured', dest: '' });
    const fsm = Fsm.compile(def);
    assert.deepEqual(fsm.sources('abort'), def.states);
    assert.deepEqual(fsm.sources('reset'), def.states);
    assert.deepEqual(fsm.sources('poke'), ['initial', 'configured']);
  });

  it('keeps its own copy of the definition', () => {
    const def = base();
    const fsm = Fsm.compile(def);
    def.states.push('later');
    def.transitions[0].dest = 'configured';
    assert.deepEqual([...fsm.states], ['none', 'initial', 'configured', 'error']);
    assert.equal(fsm.destination('none', 'boot'), 'initial');
    assert.ok(Object.isFrozen(fsm.definition));
  });
});
