import assert from 'node:assert/strict';
import { checkRateInput, checkRunNumberInput, stepArguments } from '../../../src/core/control/step-arguments';
import { DEFAULT_FSM, Fsm } from '../../../src/core/fsm';

describe('step arguments', () => {
  const fsm = Fsm.compile(DEFAULT_FSM);

  it('asks a run type and number for what starts a run, a rate for change_rate, nothing otherwise', () => {
    assert.deepEqual(stepArguments(fsm, 'start_run'), { runType: true, runNumber: true, triggerRate: false });
    assert.deepEqual(stepArguments(fsm, 'start'), { runType: true, runNumber: true, triggerRate: false });
    assert.deepEqual(stepArguments(fsm, 'conf'), { runType: false, runNumber: false, triggerRate: false });
    assert.deepEqual(stepArguments(fsm, 'stop_run'), { runType: false, runNumber: false, triggerRate: false });
    assert.deepEqual(stepArguments(fsm, 'change_rate'), { runType: false, runNumber: false, triggerRate: true });
  });

  it('looks inside the sequences of a custom FSM', () => {
    const custom = Fsm.compile(
      Fsm.fromData({
        states: ['none', 'initial', 'running', 'error'],
        transitions: { boot: { source: 'none', dest: 'initial' }, start: { source: 'initial', dest: 'running' }, change_rate: { source: 'running' }, terminate: { source: 'initial|running|error', dest: 'none' } },
        sequences: { go: ['[boot]', 'start'], retune: ['change_rate'] },
      }),
    );
    assert.deepEqual(stepArguments(custom, 'go'), { runType: true, runNumber: true, triggerRate: false });
    assert.deepEqual(stepArguments(custom, 'retune'), { runType: false, runNumber: false, triggerRate: true });
  });

  it('checks the run number and the rate the operator typed', () => {
    assert.equal(checkRunNumberInput('12'), undefined);
    assert.equal(checkRunNumberInput(' 12 '), undefined);
    assert.equal(checkRunNumberInput(''), undefined, 'empty takes the proposed number');
    for (const bad of ['0', '1.5', '-3', 'abc', '1e3', '99999999999999999999']) assert.ok(checkRunNumberInput(bad), bad);
    assert.equal(checkRateInput('10.5'), undefined);
    assert.equal(checkRateInput('0'), undefined);
    for (const bad of ['-1', 'fast', '', 'Infinity']) assert.ok(checkRateInput(bad), bad);
  });
});
