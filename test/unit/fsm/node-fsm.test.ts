import assert from 'node:assert/strict';
import { DEFAULT_FSM, Fsm, NodeFsm, type NodeFsmSnapshot } from '../../../src/core/fsm';

const fsm = Fsm.compile(DEFAULT_FSM);

describe('NodeFsm', () => {
  let node: NodeFsm;
  beforeEach(() => {
    node = new NodeFsm(fsm);
  });
  afterEach(() => node.stop());

  it('starts in the initial state', () => {
    assert.equal(node.state, 'none');
    assert.equal(node.inProgress, false);
    assert.deepEqual(node.snapshot, { state: 'none' });
    assert.equal(node.machineState, 'none');
  });

  it('can start in a given state (reattach)', () => {
    const other = new NodeFsm(fsm, 'running');
    assert.deepEqual(other.snapshot, { state: 'running' });
    other.begin('disable_triggers');
    other.succeed();
    assert.equal(other.state, 'ready');
    other.stop();
    assert.throws(() => new NodeFsm(fsm, 'limbo'), /unknown state "limbo"/);
  });

  it('begin enters the in-progress state, succeed goes to the target', () => {
    node.begin('boot');
    assert.equal(node.inProgress, true);
    assert.equal(node.state, 'none');
    assert.equal(node.transition, 'boot');
    assert.equal(node.machineState, 'boot_ing');
    assert.deepEqual(node.snapshot, { state: 'none', transition: 'boot', target: 'initial' });
    node.succeed();
    assert.deepEqual(node.snapshot, { state: 'initial' });
    assert.equal(node.inProgress, false);
    assert.equal(node.machineState, 'initial');
  });

  it('walks a whole run and back', () => {
    const path = fsm.shortestPath('none', 'running') ?? [];
    for (const t of path) {
      node.begin(t);
      node.succeed();
    }
    assert.equal(node.state, 'running');
    for (const t of fsm.shortestPath('running', 'none') ?? []) {
      node.begin(t);
      node.succeed();
    }
    assert.equal(node.state, 'none');
  });

  it('a stay-transition returns to where it started', () => {
    node.force('running');
    node.begin('change_rate');
    assert.deepEqual(node.snapshot, { state: 'running', transition: 'change_rate', target: 'running' });
    node.succeed();
    assert.deepEqual(node.snapshot, { state: 'running' });
    node.force('ready');
    node.begin('change_rate');
    node.succeed();
    assert.deepEqual(node.snapshot, { state: 'ready' });
  });

  it('fail goes to the error state keeping the reason; terminate leaves it', () => {
    node.begin('boot');
    node.fail('app "ru-01" did not answer within 20 s');
    assert.deepEqual(node.snapshot, { state: 'error', error: 'app "ru-01" did not answer within 20 s' });
    node.begin('terminate');
    assert.deepEqual(node.snapshot, { state: 'error', transition: 'terminate', target: 'none' });
    node.succeed();
    assert.deepEqual(node.snapshot, { state: 'none' });
  });

  it('begin not allowed from the current state throws a clear error and changes nothing', () => {
    assert.throws(() => node.begin('start'), {
      message:
        'cannot begin "start": transition "start" is not allowed from state "none" ' +
        '(it is allowed from: configured; allowed from "none": boot, abort)',
    });
    assert.throws(() => node.begin('start_run'), /cannot begin "start_run": unknown transition "start_run"/);
    assert.deepEqual(node.snapshot, { state: 'none' });
    assert.equal(node.canBegin('start'), false);
    assert.equal(node.canBegin('boot'), true);
  });

  it('begin while a transition is in progress throws', () => {
    node.begin('boot');
    assert.throws(() => node.begin('conf'), {
      message: 'cannot begin "conf": transition "boot" is already in progress (none -> initial)',
    });
    assert.throws(() => node.begin('boot'), /transition "boot" is already in progress/);
    assert.deepEqual(node.snapshot, { state: 'none', transition: 'boot', target: 'initial' });
  });

  it('succeed and fail without a transition in progress throw', () => {
    assert.throws(() => node.succeed(), { message: 'cannot succeed: no transition is in progress (state "none")' });
    assert.throws(() => node.fail('x'), { message: 'cannot fail: no transition is in progress (state "none")' });
  });

  it('abort is allowed from every stable state, including error', () => {
    for (const state of fsm.states) {
      node.force(state, 'boom');
      node.begin('abort');
      assert.deepEqual(node.snapshot, { state, transition: 'abort', target: 'none' });
      node.succeed();
      assert.deepEqual(node.snapshot, { state: 'none' });
    }
  });

  it('abort interrupts any transition in progress, keeping the last stable state as source', () => {
    for (const t of fsm.transitionNames.filter((n) => n !== 'abort')) {
      const from = fsm.sources(t)[0];
      node.force(from);
      node.begin(t);
      node.begin('abort');
      assert.equal(node.machineState, 'abort_ing');
      assert.deepEqual(node.snapshot, { state: from, transition: 'abort', target: 'none' }, t);
      node.succeed();
      assert.equal(node.state, 'none');
    }
  });

  it('abort does not restart itself', () => {
    node.begin('abort');
    assert.throws(() => node.begin('abort'), /transition "abort" is already in progress/);
  });

  it('force sets a state directly, cancelling a transition in progress', () => {
    node.begin('boot');
    node.force('configured');
    assert.deepEqual(node.snapshot, { state: 'configured' });
    node.force('error', 'process "dfo" exited with code 137');
    assert.deepEqual(node.snapshot, { state: 'error', error: 'process "dfo" exited with code 137' });
    node.force('error');
    assert.deepEqual(node.snapshot, { state: 'error', error: 'forced into the error state' });
    node.force('initial', 'ignored outside error');
    assert.deepEqual(node.snapshot, { state: 'initial' });
    assert.throws(() => node.force('limbo'), /cannot force unknown state "limbo"/);
  });

  it('notifies subscribers of every change, and stops after unsubscribe', () => {
    const seen: NodeFsmSnapshot[] = [];
    const off = node.subscribe((s) => seen.push(s));
    node.begin('boot');
    node.succeed();
    node.force('initial'); // no change: no notification
    node.begin('conf');
    node.fail('bad config');
    off();
    node.force('none');
    assert.deepEqual(seen, [
      { state: 'none', transition: 'boot', target: 'initial' },
      { state: 'initial' },
      { state: 'initial', transition: 'conf', target: 'configured' },
      { state: 'error', error: 'bad config' },
    ]);
  });

  it('a throwing listener does not stop the others nor the change', () => {
    const seen: string[] = [];
    node.subscribe(() => {
      throw new Error('listener broke');
    });
    node.subscribe((s) => seen.push(s.state));
    assert.throws(() => node.begin('boot'), /listener broke/);
    assert.deepEqual(seen, ['none']);
    assert.equal(node.transition, 'boot');
  });

  it('snapshot objects are stable between changes', () => {
    const a = node.snapshot;
    assert.equal(node.snapshot, a);
    node.begin('boot');
    assert.notEqual(node.snapshot, a);
  });

  it('refuses everything after stop', () => {
    node.stop();
    assert.throws(() => node.begin('boot'), /stopped/);
    assert.throws(() => node.force('initial'), /stopped/);
    assert.equal(node.state, 'none');
  });

  it('nodes of the same FSM are independent', () => {
    const other = new NodeFsm(fsm);
    node.begin('boot');
    assert.equal(other.inProgress, false);
    other.stop();
  });

  it('works with a custom FSM with an any-sourced stay-transition', () => {
    const custom = Fsm.compile(
      Fsm.fromData({
        states: ['off', 'on', 'error'],
        initial: 'off',
        transitions: {
          up: { source: 'off', dest: 'on' },
          down: { source: 'on|error', dest: 'off' },
          ping: { source: '*' },
        },
      }),
    );
    const n = new NodeFsm(custom);
    n.begin('up');
    n.begin('ping'); // any-sourced: interrupts up, stays where up started
    assert.deepEqual(n.snapshot, { state: 'off', transition: 'ping', target: 'off' });
    n.succeed();
    assert.deepEqual(n.snapshot, { state: 'off' });
    n.force('on');
    n.begin('ping');
    n.succeed();
    assert.equal(n.state, 'on');
    n.stop();
  });
});
