// Kept apart from tree.ts so front ends can name these states without loading the FSM
// (and xstate) into their bundle.

/** Shown for a segment whose included children are not all in one state. */
export const MIXED = 'mixed';
/** Shown for a segment none of whose children is included. */
export const EMPTY = 'excluded';
