import assert from 'node:assert/strict';
import { DEFAULT_FSM, Fsm } from '../../../src/core/fsm';

const fsm = Fsm.compile(DEFAULT_FSM);

describe('Fsm.planSequence', () => {
  it('start_run from initial runs conf, start, enable_triggers', () => {
    assert.deepEqual(fsm.planSequence('start_run', 'initial'), { ok: true, steps: ['conf', 'start', 'enable_triggers'], skipped: [] });
  });

  it('start_run from configured skips the optional conf', () => {
    assert.deepEqual(fsm.planSequence('start_run', 'configured'), { ok: true, steps: ['start', 'enable_triggers'], skipped: ['conf'] });
  });

  it('start_run from none fails on the required start step, naming step and state', () => {
    const plan = fsm.planSequence('start_run', 'none');
    assert.equal(plan.ok, false);
    assert.deepEqual(plan.steps, []);
    assert.ok(!plan.ok);
    assert.equal(
      plan.error,
      'sequence "start_run": required step "start" is not allowed from state "none" (it is allowed from: configured; allowed from "none": boot, abort)',
    );
  });

  it('stop_run from running and from ready', () => {
    assert.deepEqual(fsm.planSequence('stop_run', 'running'), {
      ok: true,
      steps: ['disable_triggers', 'drain_dataflow', 'stop_trigger_sources', 'stop'],
      skipped: [],
    });
    assert.deepEqual(fsm.planSequence('stop_run', 'ready'), {
      ok: true,
      steps: ['drain_dataflow', 'stop_trigger_sources', 'stop'],
      skipped: ['disable_triggers'],
    });
  });

  it('a failing plan keeps the steps that could run before the failure', () => {
    const f = Fsm.compile({
      states: ['a', 'b', 'c', 'error'],
      initial: 'a',
      errorState: 'error',
      transitions: [
        { name: 'go', source: 'a', dest: 'b' },
        { name: 'next', source: 'c', dest: 'a' },
        { name: 'jump', source: 'b', dest: 'c' },
      ],
      sequences: [{ name: 'broken', steps: [{ transition: 'go' }, { transition: 'next' }, { transition: 'jump' }] }],
    });
    assert.deepEqual(f.planSequence('broken', 'a'), {
      ok: false,
      error: 'sequence "broken": required step "next" is not allowed from state "b" (it is allowed from: c; allowed from "b": jump)',
      steps: ['go'],
    });
  });

  it('stop_run from dataflow_drained fails on its first required step', () => {
    const plan = fsm.planSequence('stop_run', 'dataflow_drained');
    assert.equal(plan.ok, false);
    assert.deepEqual(plan.steps, []);
    assert.match(!plan.ok ? plan.error : '', /required step "drain_dataflow" is not allowed from state "dataflow_drained"/);
  });

  it('shutdown from running walks the whole way down', () => {
    assert.deepEqual(fsm.planSequence('shutdown', 'running'), {
      ok: true,
      steps: ['disable_triggers', 'drain_dataflow', 'stop_trigger_sources', 'stop', 'scrap', 'terminate'],
      skipped: [],
    });
  });

  it('shutdown from error skips everything but terminate; from configured skips the run steps', () => {
    assert.deepEqual(fsm.planSequence('shutdown', 'error'), {
      ok: true,
      steps: ['terminate'],
      skipped: ['disable_triggers', 'drain_dataflow', 'stop_trigger_sources', 'stop', 'scrap'],
    });
    assert.deepEqual(fsm.planSequence('shutdown', 'configured'), {
      ok: true,
      steps: ['scrap', 'terminate'],
      skipped: ['disable_triggers', 'drain_dataflow', 'stop_trigger_sources', 'stop'],
    });
  });

  it('shutdown from none fails on terminate', () => {
    const plan = fsm.planSequence('shutdown', 'none');
    assert.equal(plan.ok, false);
    assert.match(!plan.ok ? plan.error : '', /^sequence "shutdown": required step "terminate" is not allowed from state "none"/);
  });

  it('reports unknown sequences and states instead of throwing', () => {
    assert.deepEqual(fsm.planSequence('nope', 'none'), {
      ok: false,
      error: 'unknown sequence "nope" (sequences: start_run, stop_run, shutdown)',
      steps: [],
    });
    assert.deepEqual(fsm.planSequence('start_run', 'limbo'), { ok: false, error: 'sequence "start_run": unknown state "limbo"', steps: [] });
  });
});

describe('Fsm.shortestPath', () => {
  it('none -> running = boot, conf, start, enable_triggers', () => {
    assert.deepEqual(fsm.shortestPath('none', 'running'), ['boot', 'conf', 'start', 'enable_triggers']);
  });

  it('running -> none goes down in order rather than aborting', () => {
    assert.deepEqual(fsm.shortestPath('running', 'none'), [
      'disable_triggers',
      'drain_dataflow',
      'stop_trigger_sources',
      'stop',
      'scrap',
      'terminate',
    ]);
  });

  it('same state -> []', () => {
    assert.deepEqual(fsm.shortestPath('ready', 'ready'), []);
  });

  it('error -> configured through terminate', () => {
    assert.deepEqual(fsm.shortestPath('error', 'configured'), ['terminate', 'boot', 'conf']);
  });

  it('nothing leads into the error state', () => {
    assert.equal(fsm.shortestPath('none', 'error'), undefined);
  });

  it('unreachable target -> undefined', () => {
    const oneWay = Fsm.compile({
      states: ['a', 'b', 'error'],
      initial: 'a',
      errorState: 'error',
      transitions: [{ name: 'go', source: 'a', dest: 'b' }],
      sequences: [],
    });
    assert.deepEqual(oneWay.shortestPath('a', 'b'), ['go']);
    assert.equal(oneWay.shortestPath('b', 'a'), undefined);
  });

  it('uses an any-state transition when nothing else works', () => {
    const f = Fsm.compile({
      states: ['a', 'b', 'error'],
      initial: 'a',
      errorState: 'error',
      transitions: [
        { name: 'go', source: 'a', dest: 'b' },
        { name: 'reset', source: '*', dest: 'a' },
      ],
      sequences: [],
    });
    assert.deepEqual(f.shortestPath('b', 'a'), ['reset']);
  });

  it('breaks ties by definition order', () => {
    const f = Fsm.compile({
      states: ['a', 'b', 'c', 'd', 'error'],
      initial: 'a',
      errorState: 'error',
      transitions: [
        { name: 'via_c', source: 'a', dest: 'c' },
        { name: 'via_b', source: 'a', dest: 'b' },
        { name: 'b_to_d', source: 'b', dest: 'd' },
        { name: 'c_to_d', source: 'c', dest: 'd' },
      ],
      sequences: [],
    });
    assert.deepEqual(f.shortestPath('a', 'd'), ['via_c', 'c_to_d']);
  });

  it('throws for unknown states', () => {
    assert.throws(() => fsm.shortestPath('none', 'limbo'), /unknown state "limbo"/);
  });
});
