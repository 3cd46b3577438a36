import type { FsmDefinition, SequenceStep } from './types';

const req = (transition: string): SequenceStep => ({ transition });
const opt = (transition: string): SequenceStep => ({ transition, optional: true });

/**
 * The DUNE "partition" FSM (nanorc fsm.py v5.2.2 / drunc's fsm.data.xml), used whenever a
 * run configuration does not define its own. Frozen because every session shares it.
 */
export const DEFAULT_FSM: FsmDefinition = deepFreeze({
  states: [
    'none',
    'initial',
    'configured',
    'ready',
    'running',
    'dataflow_drained',
    'trigger_sources_stopped',
    'error',
  ],
  initial: 'none',
  errorState: 'error',
  transitions: [
    { name: 'boot', source: ['none'], dest: 'initial' },
    { name: 'conf', source: ['initial'], dest: 'configured' },
    { name: 'start', source: ['configured'], dest: 'ready' },
    { name: 'enable_triggers', source: ['ready'], dest: 'running' },
    { name: 'disable_triggers', source: ['running'], dest: 'ready' },
    { name: 'drain_dataflow', source: ['ready'], dest: 'dataflow_drained' },
    { name: 'stop_trigger_sources', source: ['dataflow_drained'], dest: 'trigger_sources_stopped' },
    { name: 'stop', source: ['trigger_sources_stopped'], dest: 'configured' },
    { name: 'scrap', source: ['configured'], dest: 'initial' },
    // error is left by terminate (orderly) or abort (kill); recover is a forced reset, not a transition.
    { name: 'terminate', source: ['initial', 'error'], dest: 'none' },
    { name: 'abort', source: '*', dest: 'none' },
    { name: 'change_rate', source: 'ready|running', dest: '' },
  ],
  sequences: [
    { name: 'start_run', steps: [opt('conf'), req('start'), req('enable_triggers')] },
    {
      name: 'stop_run',
      steps: [opt('disable_triggers'), req('drain_dataflow'), req('stop_trigger_sources'), req('stop')],
    },
    {
      name: 'shutdown',
      steps: [
        opt('disable_triggers'),
        opt('drain_dataflow'),
        opt('stop_trigger_sources'),
        opt('stop'),
        opt('scrap'),
        req('terminate'),
      ],
    },
  ],
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
