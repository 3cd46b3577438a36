export type {
  FsmDefinition,
  NodeFsmSnapshot,
  ResolvedTransition,
  SequenceDef,
  SequencePlan,
  SequenceStep,
  TransitionDef,
} from './types';
export { DEFAULT_FSM } from './default-fsm';
export { FsmDefinitionError } from './errors';
export { Fsm } from './fsm';
export type { DiagramOptions } from './diagram';
export { NodeFsm, type NodeFsmListener } from './node-machine';
