import assert from 'node:assert/strict';
import { DEFAULT_FSM, Fsm, FsmDefinitionError } from '../../../src/core/fsm';

function problemsOf(data: unknown, where?: string): string[] {
  try {
    Fsm.fromData(data, where);
  } catch (err) {
    assert.ok(err instanceof FsmDefinitionError, `expected FsmDefinitionError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('fromData accepted bad data');
}

describe('Fsm.fromData', () => {
  it('reads the map form, with defaults for initial and error', () => {
    const def = Fsm.fromData({
      states: ['none', 'initial', 'running', 'error'],
      transitions: {
        boot: { source: 'none', dest: 'initial' },
        start: { source: ['initial'], dest: 'running' },
        change_rate: { source: 'running' },
        poke: { source: 'running', dest: null },
        terminate: { source: 'initial|running|error', dest: 'none' },
      },
      sequences: {
        up: ['[boot]', 'start'],
        spaced: [' [ boot ] ', { transition: 'start', optional: false }, { transition: 'change_rate', optional: true }],
      },
    });
    assert.deepEqual(def, {
      states: ['none', 'initial', 'running', 'error'],
      initial: 'none',
      errorState: 'error',
      transitions: [
        { name: 'boot', source: 'none', dest: 'initial' },
        { name: 'start', source: ['initial'], dest: 'running' },
        { name: 'change_rate', source: 'running', dest: '' },
        { name: 'poke', source: 'running', dest: '' },
        { name: 'terminate', source: 'initial|running|error', dest: 'none' },
      ],
      sequences: [
        { name: 'up', steps: [{ transition: 'boot', optional: true }, { transition: 'start' }] },
        {
          name: 'spaced',
          steps: [{ transition: 'boot', optional: true }, { transition: 'start' }, { transition: 'change_rate', optional: true }],
        },
      ],
    });
    const fsm = Fsm.compile(def);
    assert.equal(fsm.destination('running', 'change_rate'), 'running');
    assert.deepEqual(fsm.planSequence('up', 'initial'), { ok: true, steps: ['start'], skipped: ['boot'] });
  });

  it('reads explicit initial and error, and sequences are optional', () => {
    const def = Fsm.fromData({
      states: ['off', 'on', 'broken'],
      initial: 'off',
      error: 'broken',
      transitions: { up: { source: 'off', dest: 'on' } },
    });
    assert.equal(def.initial, 'off');
    assert.equal(def.errorState, 'broken');
    assert.deepEqual(def.sequences, []);
    assert.ok(Fsm.compile(def));
  });

  it('round-trips a serialised FsmDefinition (list form, errorState key)', () => {
    const data: unknown = JSON.parse(JSON.stringify(DEFAULT_FSM));
    const def = Fsm.fromData(data);
    assert.deepEqual(def, JSON.parse(JSON.stringify(DEFAULT_FSM)));
    assert.deepEqual(Fsm.compile(def).shortestPath('none', 'running'), ['boot', 'conf', 'start', 'enable_triggers']);
  });

  it('rejects a non-map', () => {
    assert.deepEqual(problemsOf('fsm', 'spec.fsm'), ['spec.fsm: expected a map with states and transitions, got "fsm"']);
    assert.deepEqual(problemsOf(null), ['fsm: expected a map with states and transitions, got null']);
    assert.deepEqual(problemsOf([]), ['fsm: expected a map with states and transitions, got a list']);
  });

  it('rejects missing states and transitions', () => {
    assert.deepEqual(problemsOf({}), [
      'fsm.states: expected a list of state names, got nothing',
      'fsm.transitions: expected a map of transitions (or a list), got nothing',
    ]);
  });

  it('rejects unknown keys (typos) at every level', () => {
    assert.deepEqual(
      problemsOf({
        states: ['a'],
        intial: 'a',
        transitions: { go: { source: 'a', destination: 'a' } },
        sequences: { s: [{ transition: 'go', optinal: true }] },
      }),
      [
        'fsm: unknown key "intial" (expected states, initial, error, errorState, transitions, sequences)',
        'fsm.transitions.go: unknown key "destination" (expected source, dest)',
        'fsm.sequences.s[0]: unknown key "optinal" (expected transition, optional)',
      ],
    );
  });

  it('rejects wrongly typed fields with their path', () => {
    assert.deepEqual(
      problemsOf(
        {
          states: ['a', 3],
          initial: 7,
          error: false,
          transitions: { go: 'a', come: { dest: 'a' }, bad: { source: { a: 1 }, dest: 5 }, mixed: { source: ['a', 2] } },
          sequences: { s: 'go', t: ['[go', 4, { transition: 1 }, { transition: 'go', optional: 'yes' }] },
        },
        'spec.fsm',
      ),
      [
        'spec.fsm.states[1]: expected a state name, got number 3',
        'spec.fsm.initial: expected a state name, got number 7',
        'spec.fsm.error: expected a state name, got boolean false',
        'spec.fsm.transitions.go: expected { source, dest }, got "a"',
        'spec.fsm.transitions.come: missing "source"',
        'spec.fsm.transitions.bad.source: expected a state name, an "a|b" pattern, "*", or a list of state names, got an object',
        'spec.fsm.transitions.bad.dest: expected a state name (or nothing, to stay), got number 5',
        'spec.fsm.transitions.mixed.source: expected a state name, an "a|b" pattern, "*", or a list of state names, got a list',
        'spec.fsm.sequences.s: expected a list of steps, got "go"',
        'spec.fsm.sequences.t[0]: "[go" is malformed; write an optional step as "[name]"',
        'spec.fsm.sequences.t[1]: expected a transition name, "[name]" for an optional step, or { transition, optional }, got number 4',
        'spec.fsm.sequences.t[2].transition: expected a transition name, got number 1',
        'spec.fsm.sequences.t[3].optional: expected true or false, got "yes"',
      ],
    );
  });

  it('rejects bad entries in the list forms', () => {
    assert.deepEqual(
      problemsOf({
        states: ['a'],
        transitions: [{ name: 'go', source: 'a' }, 'x', { source: 'a' }],
        sequences: [{ name: 's', steps: ['go'] }, { steps: [] }, 3],
      }),
      [
        'fsm.transitions[1]: expected { name, source, dest }, got "x"',
        'fsm.transitions[2].name: expected a transition name, got nothing',
        'fsm.sequences[1].name: expected a sequence name, got nothing',
        'fsm.sequences[2]: expected { name, steps }, got number 3',
      ],
    );
  });

  it('rejects both error and errorState', () => {
    assert.deepEqual(problemsOf({ states: ['a'], error: 'a', errorState: 'a', transitions: {} }), [
      'fsm: give either "error" or "errorState", not both',
    ]);
  });

  it('leaves consistency to compile', () => {
    const def = Fsm.fromData({ states: ['none'], transitions: { boot: { source: 'none', dest: 'initial' } } });
    assert.throws(() => Fsm.compile(def, 'spec.fsm'), (err: unknown) => {
      assert.ok(err instanceof FsmDefinitionError);
      assert.deepEqual(err.problems, [
        'the error state "error" is not a declared state',
        'transition "boot": destination state "initial" is not a declared state',
      ]);
      return true;
    });
  });
});
