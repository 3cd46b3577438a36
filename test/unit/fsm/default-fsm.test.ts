import assert from 'node:assert/strict';
import { DEFAULT_FSM, Fsm } from '../../../src/core/fsm';

const fsm = Fsm.compile(DEFAULT_FSM);

const STATES = ['none', 'initial', 'configured', 'ready', 'running', 'dataflow_drained', 'trigger_sources_stopped', 'error'];

/** The table of reference/fsm.md: transition -> source -> destination. abort is checked separately. */
const TABLE: Record<string, Record<string, string>> = {
  boot: { none: 'initial' },
  conf: { initial: 'configured' },
  start: { configured: 'ready' },
  enable_triggers: { ready: 'running' },
  disable_triggers: { running: 'ready' },
  drain_dataflow: { ready: 'dataflow_drained' },
  stop_trigger_sources: { dataflow_drained: 'trigger_sources_stopped' },
  stop: { trigger_sources_stopped: 'configured' },
  scrap: { configured: 'initial' },
  terminate: { initial: 'none', error: 'none' },
  change_rate: { ready: 'ready', running: 'running' },
};

describe('DEFAULT_FSM (DUNE partition FSM)', () => {
  it('declares the DUNE states, initial and error state', () => {
    assert.deepEqual([...fsm.states], STATES);
    assert.equal(fsm.initial, 'none');
    assert.equal(fsm.errorState, 'error');
  });

  it('declares the DUNE transitions in order', () => {
    assert.deepEqual(
      [...fsm.transitionNames],
      ['boot', 'conf', 'start', 'enable_triggers', 'disable_triggers', 'drain_dataflow', 'stop_trigger_sources', 'stop', 'scrap', 'terminate', 'abort', 'change_rate'],
    );
    assert.deepEqual([...fsm.sequenceNames], ['start_run', 'stop_run', 'shutdown']);
  });

  for (const [transition, row] of Object.entries(TABLE)) {
    it(`${transition}: allowed exactly from ${Object.keys(row).join(', ')}`, () => {
      for (const state of STATES) {
        const dest = row[state];
        assert.equal(fsm.canFire(state, transition), dest !== undefined, `${transition} from ${state}`);
        if (dest !== undefined) assert.equal(fsm.destination(state, transition), dest);
        else assert.throws(() => fsm.destination(state, transition), /is not allowed from state/);
      }
      assert.deepEqual(fsm.sources(transition), Object.keys(row));
    });
  }

  it('abort is allowed from every state, including error, and leads to none', () => {
    for (const state of STATES) {
      assert.ok(fsm.canFire(state, 'abort'), state);
      assert.equal(fsm.destination(state, 'abort'), 'none');
    }
    assert.equal(fsm.transition('abort')?.fromAnyState, true);
  });

  it('change_rate is a stay-transition', () => {
    const t = fsm.transition('change_rate');
    assert.equal(t?.stay, true);
    assert.equal(t?.dest, '');
    assert.equal(fsm.destination('running', 'change_rate'), 'running');
  });

  it('lists allowed transitions per state in definition order', () => {
    assert.deepEqual(fsm.allowedFrom('none'), ['boot', 'abort']);
    assert.deepEqual(fsm.allowedFrom('ready'), ['enable_triggers', 'drain_dataflow', 'abort', 'change_rate']);
    assert.deepEqual(fsm.allowedFrom('error'), ['terminate', 'abort']);
    assert.deepEqual(fsm.allowedFrom('no_such_state'), []);
  });

  it('answers name queries', () => {
    assert.ok(fsm.isTransition('conf'));
    assert.ok(!fsm.isTransition('start_run'));
    assert.ok(fsm.isSequence('start_run'));
    assert.ok(!fsm.isSequence('conf'));
    assert.equal(fsm.transition('nope'), undefined);
    assert.throws(() => fsm.sources('nope'), /unknown transition "nope"/);
  });

  it('explains a refused transition with where it is allowed from', () => {
    assert.throws(
      () => fsm.destination('none', 'start'),
      { message: 'transition "start" is not allowed from state "none" (it is allowed from: configured; allowed from "none": boot, abort)' },
    );
  });

  it('is frozen and unaffected by the compiled copy', () => {
    assert.ok(Object.isFrozen(DEFAULT_FSM));
    assert.ok(Object.isFrozen(DEFAULT_FSM.transitions[0]));
    assert.throws(() => (DEFAULT_FSM.states as string[]).push('x'));
  });
});
