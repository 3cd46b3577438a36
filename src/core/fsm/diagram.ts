import type { Fsm } from './fsm';

export interface DiagramOptions {
  /** State to highlight (e.g. the node's current state). */
  current?: string;
}

/*
 * Both diagrams draw transitions sourced from any state (abort) once, from a dashed
 * "any state" pseudo-node, instead of one arrow per state: with the DUNE FSM that is eight
 * arrows into `none` that hide the run sequence. The same pseudo-node shows how the error
 * state is entered (a failed transition), since no transition targets it.
 */

const FAILURE_LABEL = 'a transition fails';

export function toMermaid(fsm: Fsm, opts: DiagramOptions = {}): string {
  checkCurrent(fsm, opts.current);
  // States get positional ids: a state called `state`, `note` or `end` would otherwise
  // be read as Mermaid syntax.
  const id = new Map(fsm.states.map((s, i) => [s, `s${i}`]));
  const lines = ['stateDiagram-v2'];
  for (const s of fsm.states) lines.push(`    state "${s}" as ${id.get(s)}`);
  lines.push('    state "any state" as any_state');
  lines.push(`    [*] --> ${id.get(fsm.initial)}`);
  for (const name of fsm.transitionNames) {
    const tr = fsm.transition(name);
    if (!tr) continue;
    if (tr.fromAnyState) {
      lines.push(`    any_state --> ${tr.stay ? 'any_state' : id.get(tr.dest)} : ${name}`);
      continue;
    }
    for (const s of tr.sources) lines.push(`    ${id.get(s)} --> ${id.get(tr.stay ? s : tr.dest)} : ${name}`);
  }
  lines.push(`    any_state --> ${id.get(fsm.errorState)} : ${FAILURE_LABEL}`);
  lines.push('    classDef pseudo fill:none,stroke-dasharray:5 5');
  lines.push('    class any_state pseudo');
  lines.push('    classDef errorState stroke:#c62828,stroke-width:2px');
  lines.push(`    class ${id.get(fsm.errorState)} errorState`);
  if (opts.current !== undefined) {
    lines.push('    classDef current fill:#ffd54f,stroke:#e65100,stroke-width:3px');
    lines.push(`    class ${id.get(opts.current)} current`);
  }
  return lines.join('\n') + '\n';
}

export function toDot(fsm: Fsm, opts: DiagramOptions = {}): string {
  checkCurrent(fsm, opts.current);
  const q = (s: string): string => `"${s}"`;
  const lines = [
    'digraph fsm {',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    // Pseudo-node ids start with "_", which no state name can.
    '  _start [shape=point, label=""];',
    '  _any [shape=note, style=dashed, label="any state"];',
  ];
  for (const s of fsm.states) {
    const attrs: string[] = [];
    if (s === fsm.errorState) attrs.push('color="#c62828"', 'fontcolor="#c62828"');
    if (s === opts.current) attrs.push('style="rounded,filled,bold"', 'fillcolor="#ffd54f"');
    lines.push(`  ${q(s)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  lines.push(`  _start -> ${q(fsm.initial)};`);
  for (const name of fsm.transitionNames) {
    const tr = fsm.transition(name);
    if (!tr) continue;
    if (tr.fromAnyState) {
      lines.push(`  _any -> ${tr.stay ? '_any' : q(tr.dest)} [label=${q(name)}, style=dashed];`);
      continue;
    }
    for (const s of tr.sources) lines.push(`  ${q(s)} -> ${q(tr.stay ? s : tr.dest)} [label=${q(name)}];`);
  }
  lines.push(`  _any -> ${q(fsm.errorState)} [label=${q(FAILURE_LABEL)}, style=dotted, color="#c62828"];`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

function checkCurrent(fsm: Fsm, current: string | undefined): void {
  if (current !== undefined && !fsm.isState(current)) {
    throw new Error(`cannot highlight unknown state "${current}" (states: ${fsm.states.join(', ')})`);
  }
}
