// Places an FSM definition on a plane for the dashboard's SVG: states as boxes in columns
// (layers = distance from the initial state, so the run sequence reads left to right), and
// every transition as a routed, labelled edge. Pure (no 'vscode'), so it is unit-tested and
// the webview only draws what it is given. Works for any FSM a run configuration defines.

/** What the layout needs from a compiled FSM (src/core/fsm/fsm.ts satisfies it). */
export interface FsmShape {
  readonly states: readonly string[];
  readonly initial: string;
  readonly errorState: string;
  readonly transitionNames: readonly string[];
  transition(name: string): { sources: string[]; dest: string; stay: boolean; fromAnyState: boolean } | undefined;
}

export interface LayoutBox {
  /** The state name, or ANY_STATE for the pseudo-node that transitions from any state start at. */
  id: string;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
  pseudo: boolean;
  initial: boolean;
  error: boolean;
}

export interface LayoutEdge {
  from: string;
  to: string;
  /** The transitions drawn by this edge (several when they join the same two states). */
  transitions: string[];
  /** SVG path data, ending where the arrow head goes. */
  d: string;
  /** Where the label's text is anchored (text-anchor middle, baseline at y). */
  label: { x: number; y: number; text: string };
  kind: 'forward' | 'back' | 'self' | 'vertical' | 'failure';
}

export interface FsmLayout {
  width: number;
  height: number;
  boxes: LayoutBox[];
  edges: LayoutEdge[];
}

export const ANY_STATE = '*any';
export const FAILURE_LABEL = 'a transition fails';

const BOX_H = 30;
const ROW_GAP = 58;
const CHAR_W = 6.6;
const LABEL_CHAR_W = 6.1;
const MARGIN = 16;
const LOOP_H = 24;
const LANE_0 = 48;
const LANE_STEP = 22;

interface Node {
  id: string;
  label: string;
  pseudo: boolean;
  layer: number;
  row: number;
  w: number;
}

export function layoutFsm(fsm: FsmShape): FsmLayout {
  // --- the graph: states, the "any state" pseudo-node, edges merged by (from, to) ---
  const nodes = new Map<string, Node>();
  for (const s of fsm.states) nodes.set(s, { id: s, label: s, pseudo: false, layer: NaN, row: 0, w: boxWidth(s) });
  const edgeMap = new Map<string, { from: string; to: string; transitions: string[]; failure?: boolean }>();
  const addEdge = (from: string, to: string, name: string, failure = false) => {
    const key = `${from}\u0000${to}`;
    const e = edgeMap.get(key);
    if (e) e.transitions.push(name);
    else edgeMap.set(key, { from, to, transitions: [name], failure });
  };
  let hasAny = false;
  for (const name of fsm.transitionNames) {
    const t = fsm.transition(name);
    if (!t) continue;
    if (t.fromAnyState) {
      hasAny = true;
      addEdge(ANY_STATE, t.stay ? ANY_STATE : t.dest, name);
    } else for (const s of t.sources) addEdge(s, t.stay ? s : t.dest, name);
  }
  // No transition leads into the error state: it is entered when one fails. Say so.
  hasAny = hasAny || fsm.states.includes(fsm.errorState);
  if (hasAny) {
    nodes.set(ANY_STATE, { id: ANY_STATE, label: 'any state', pseudo: true, layer: NaN, row: 0, w: boxWidth('any state') });
    if (fsm.states.includes(fsm.errorState)) addEdge(ANY_STATE, fsm.errorState, FAILURE_LABEL, true);
  }
  const edges = [...edgeMap.values()];
  const out = new Map<string, string[]>();
  for (const e of edges) if (e.from !== e.to && !e.failure) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);

  // --- layers: breadth-first distance from the initial state ---
  const order: string[] = [];
  const start = nodes.has(fsm.initial) ? fsm.initial : fsm.states[0];
  if (start !== undefined) {
    nodes.get(start)!.layer = 0;
    const queue = [start];
    while (queue.length) {
      const id = queue.shift()!;
      order.push(id);
      for (const next of out.get(id) ?? []) {
        const n = nodes.get(next)!;
        if (n.pseudo || !Number.isNaN(n.layer)) continue;
        n.layer = nodes.get(id)!.layer + 1;
        queue.push(next);
      }
    }
  }
  // States nothing leads to (error, the pseudo-node) sit one column before what they lead to.
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of nodes.values()) {
      if (!Number.isNaN(n.layer)) continue;
      const placed = (out.get(n.id) ?? []).map((t) => nodes.get(t)!.layer).filter((l) => !Number.isNaN(l));
      if (placed.length === 0) continue;
      n.layer = Math.min(...placed) - 1;
      order.push(n.id);
      changed = true;
    }
  }
  // An error state with no way out stands in its own column before the initial state.
  const errNode = nodes.get(fsm.errorState);
  if (errNode && Number.isNaN(errNode.layer)) {
    errNode.layer = -1;
    order.push(errNode.id);
  }
  // The pseudo-node with no transition of its own shares the error state's column.
  const anyNode = nodes.get(ANY_STATE);
  if (anyNode && Number.isNaN(anyNode.layer) && nodes.has(fsm.errorState)) {
    anyNode.layer = nodes.get(fsm.errorState)!.layer;
    if (!Number.isNaN(anyNode.layer)) order.push(ANY_STATE);
  }
  for (const n of nodes.values()) {
    if (Number.isNaN(n.layer)) {
      n.layer = 0;
      order.push(n.id);
    }
  }
  const minLayer = Math.min(...[...nodes.values()].map((n) => n.layer));
  for (const n of nodes.values()) n.layer -= minLayer;

  // --- rows: discovery order inside each layer, the pseudo-node on top ---
  const layers: Node[][] = [];
  const seq = [...order.filter((id) => nodes.get(id)!.pseudo), ...order.filter((id) => !nodes.get(id)!.pseudo)];
  for (const id of seq) {
    const n = nodes.get(id)!;
    (layers[n.layer] ??= []).push(n);
    n.row = layers[n.layer].length - 1;
  }
  for (let i = 0; i < layers.length; i++) layers[i] ??= [];

  // --- columns wide enough for their boxes, gaps wide enough for the labels between them ---
  const colW = layers.map((l) => Math.max(0, ...l.map((n) => n.w)));
  const gaps: number[] = [];
  for (let i = 0; i + 1 < layers.length; i++) {
    let widest = 0;
    for (const e of edges) {
      const a = nodes.get(e.from)!;
      const b = nodes.get(e.to)!;
      if (a.layer === i && b.layer === i + 1) widest = Math.max(widest, labelWidth(e.transitions.join(' / ')));
    }
    gaps.push(Math.max(44, widest + 20));
  }
  const colX: number[] = [];
  let x = MARGIN;
  for (let i = 0; i < layers.length; i++) {
    colX.push(x);
    x += colW[i] + (gaps[i] ?? 0);
  }
  const contentW = x + MARGIN;

  // --- arcs over the top for back edges (and long forward ones), one lane per overlap ---
  const box = (id: string) => {
    const n = nodes.get(id)!;
    return { x: colX[n.layer] + (colW[n.layer] - n.w) / 2, y: 0, w: n.w, row: n.row, layer: n.layer };
  };
  type Arc = { e: (typeof edges)[number]; x1: number; x2: number; lane: number; below: boolean };
  const arcs: Arc[] = [];
  for (const e of edges) {
    const a = nodes.get(e.from)!;
    const b = nodes.get(e.to)!;
    if (e.from === e.to || a.layer === b.layer || b.layer === a.layer + 1) continue;
    const ba = box(e.from);
    const bb = box(e.to);
    const back = b.layer < a.layer;
    const x1 = back ? ba.x + ba.w * 0.3 : ba.x + ba.w * 0.7;
    const x2 = back ? bb.x + bb.w * 0.7 : bb.x + bb.w * 0.3;
    // Only edges between top-row boxes can go over the top without crossing a box.
    arcs.push({ e, x1, x2, lane: 0, below: a.row !== 0 || b.row !== 0 });
  }
  const assignLanes = (list: Arc[]) => {
    list.sort((p, q) => Math.abs(p.x2 - p.x1) - Math.abs(q.x2 - q.x1));
    const taken: Array<Array<[number, number]>> = [];
    for (const arc of list) {
      const lo = Math.min(arc.x1, arc.x2) - 4;
      const hi = Math.max(arc.x1, arc.x2) + 4;
      let lane = 0;
      while ((taken[lane] ?? []).some(([l, h]) => lo < h && l < hi)) lane++;
      (taken[lane] ??= []).push([lo, hi]);
      arc.lane = lane;
    }
    return taken.length;
  };
  const lanesAbove = assignLanes(arcs.filter((a) => !a.below));
  const lanesBelow = assignLanes(arcs.filter((a) => a.below));
  const hasLoops = edges.some((e) => e.from === e.to);
  const topSpace = lanesAbove > 0 ? LANE_0 + (lanesAbove - 1) * LANE_STEP + 16 : hasLoops ? LOOP_H + 18 : 8;
  const rows = Math.max(1, ...layers.map((l) => l.length));
  const rowY = (row: number) => MARGIN + topSpace + row * (BOX_H + ROW_GAP);
  const bottom = rowY(rows - 1) + BOX_H;
  const height = bottom + (lanesBelow > 0 ? LANE_0 + (lanesBelow - 1) * LANE_STEP + 8 : 0) + MARGIN;

  const boxes: LayoutBox[] = [...nodes.values()].map((n) => ({
    id: n.id,
    label: n.label,
    x: round(colX[n.layer] + (colW[n.layer] - n.w) / 2),
    y: round(rowY(n.row)),
    w: n.w,
    h: BOX_H,
    pseudo: n.pseudo,
    initial: n.id === fsm.initial,
    error: n.id === fsm.errorState,
  }));
  const boxOf = new Map(boxes.map((b) => [b.id, b]));

  // --- edge paths ---
  const laid: LayoutEdge[] = [];
  for (const e of edges) {
    const a = boxOf.get(e.from)!;
    const b = boxOf.get(e.to)!;
    const text = e.transitions.join(' / ');
    const la = nodes.get(e.from)!.layer;
    const lb = nodes.get(e.to)!.layer;
    if (e.from === e.to) {
      const cx = a.x + a.w / 2;
      laid.push({ from: e.from, to: e.to, transitions: e.transitions, kind: 'self', d: `M${r(cx - 9)},${r(a.y)} C${r(cx - 22)},${r(a.y - LOOP_H)} ${r(cx + 22)},${r(a.y - LOOP_H)} ${r(cx + 9)},${r(a.y)}`, label: { x: r(cx), y: r(a.y - LOOP_H - 2), text } });
    } else if (lb === la + 1) {
      const x1 = a.x + a.w;
      const y1 = a.y + a.h / 2;
      const x2 = b.x;
      const y2 = b.y + b.h / 2;
      const mx = (x1 + x2) / 2;
      const d = y1 === y2 ? `M${r(x1)},${r(y1)} L${r(x2)},${r(y2)}` : `M${r(x1)},${r(y1)} C${r(mx)},${r(y1)} ${r(mx)},${r(y2)} ${r(x2)},${r(y2)}`;
      // The label sits on the straight part when there is one, above the curve's middle otherwise.
      const ly = y1 === y2 ? y1 - 6 : Math.min(y1, y2) + Math.abs(y2 - y1) / 2 - 6;
      laid.push({ from: e.from, to: e.to, transitions: e.transitions, kind: e.failure ? 'failure' : 'forward', d, label: { x: r(mx), y: r(ly), text } });
    } else if (la === lb) {
      const down = a.y < b.y;
      const cx = a.x + a.w / 2;
      const tx = b.x + b.w / 2;
      const y1 = down ? a.y + a.h : a.y;
      const y2 = down ? b.y : b.y + b.h;
      // "a transition fails" reads as a caption under the error state; other labels go beside the line.
      const label = e.failure && down ? { x: r(tx), y: r(b.y + b.h + 15), text } : { x: r((cx + tx) / 2 + 8 + labelWidth(text) / 2), y: r((y1 + y2) / 2 + 4), text };
      laid.push({ from: e.from, to: e.to, transitions: e.transitions, kind: e.failure ? 'failure' : 'vertical', d: `M${r(cx)},${r(y1)} L${r(tx)},${r(y2)}`, label });
    } else {
      const arc = arcs.find((p) => p.e === e)!;
      const lift = LANE_0 + arc.lane * LANE_STEP;
      const rad = 8;
      const dir = arc.x2 > arc.x1 ? 1 : -1;
      let d: string;
      let ly: number;
      if (!arc.below) {
        const top = Math.min(a.y, b.y) - lift;
        d = `M${r(arc.x1)},${r(a.y)} L${r(arc.x1)},${r(top + rad)} Q${r(arc.x1)},${r(top)} ${r(arc.x1 + dir * rad)},${r(top)} L${r(arc.x2 - dir * rad)},${r(top)} Q${r(arc.x2)},${r(top)} ${r(arc.x2)},${r(top + rad)} L${r(arc.x2)},${r(b.y)}`;
        ly = top - 5;
      } else {
        const low = bottom + lift;
        const y1 = a.y + a.h;
        const y2 = b.y + b.h;
        d = `M${r(arc.x1)},${r(y1)} L${r(arc.x1)},${r(low - rad)} Q${r(arc.x1)},${r(low)} ${r(arc.x1 + dir * rad)},${r(low)} L${r(arc.x2 - dir * rad)},${r(low)} Q${r(arc.x2)},${r(low)} ${r(arc.x2)},${r(low - rad)} L${r(arc.x2)},${r(y2)}`;
        ly = low - 5;
      }
      laid.push({ from: e.from, to: e.to, transitions: e.transitions, kind: 'back', d, label: { x: r((arc.x1 + arc.x2) / 2), y: r(ly), text } });
    }
  }
  const lowest = Math.max(0, ...laid.map((e) => e.label.y + 4 + MARGIN / 2));
  const widest = Math.max(0, ...laid.map((e) => e.label.x + labelWidth(e.label.text) / 2 + MARGIN / 2));
  return { width: Math.ceil(Math.max(contentW, widest)), height: Math.ceil(Math.max(height, lowest)), boxes, edges: laid };
}

function boxWidth(label: string): number {
  return Math.max(72, Math.ceil(label.length * CHAR_W + 26));
}

/** Approximate rendered width of an edge label (11px sans-serif). */
export function labelWidth(text: string): number {
  return Math.ceil(text.length * LABEL_CHAR_W);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

const r = round;
