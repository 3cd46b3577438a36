import assert from 'node:assert/strict';
import { DEFAULT_FSM } from '../../../src/core/fsm/default-fsm';
import { Fsm } from '../../../src/core/fsm/fsm';
import { ANY_STATE, FAILURE_LABEL, labelWidth, layoutFsm, type FsmLayout, type LayoutBox } from '../../../src/extension/dashboard/fsm-layout';

/** Every property a drawable layout must have, whatever the FSM. */
function checkLayout(fsm: Fsm, layout: FsmLayout): void {
  // Every state has exactly one box, plus the "any state" pseudo-node.
  assert.deepEqual(layout.boxes.filter((b) => !b.pseudo).map((b) => b.id).sort(), [...fsm.states].sort());
  assert.equal(layout.boxes.filter((b) => b.pseudo).length, 1);
  for (const b of layout.boxes) {
    assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= layout.width && b.y + b.h <= layout.height, `${b.id} lies inside the drawing`);
    assert.ok(b.w >= b.label.length * 6, `${b.id} is wide enough for its label`);
  }
  // No two boxes overlap, with some air between them.
  for (let i = 0; i < layout.boxes.length; i++) {
    for (let j = i + 1; j < layout.boxes.length; j++) {
      const [a, b] = [layout.boxes[i], layout.boxes[j]];
      assert.ok(!overlaps(grow(a, 8), b), `${a.id} and ${b.id} overlap`);
    }
  }
  // Every (source state, transition) pair is drawn by an edge that goes where the FSM says.
  for (const name of fsm.transitionNames) {
    const t = fsm.transition(name)!;
    const sources = t.fromAnyState ? [ANY_STATE] : t.sources;
    for (const s of sources) {
      const to = t.stay ? s : t.dest;
      const edge = layout.edges.find((e) => e.from === s && e.to === to && e.transitions.includes(name));
      assert.ok(edge, `${name} from ${s} to ${to} is drawn`);
      assert.ok(edge.label.text.includes(name), `${name}'s edge is labelled with it`);
    }
  }
  assert.ok(layout.edges.some((e) => e.from === ANY_STATE && e.to === fsm.errorState && e.transitions[0] === FAILURE_LABEL), 'the way into the error state is drawn');
  for (const e of layout.edges) {
    assert.match(e.d, /^M[\d.-]+,[\d.-]+( [LCQ][\d.,\s-]+)+$/, `${e.transitions} has a path`);
    for (const [x, y] of points(e.d)) assert.ok(x >= 0 && x <= layout.width && y >= 0 && y <= layout.height, `${e.transitions} stays inside (${x},${y})`);
    // A label never sits on a box.
    const half = labelWidth(e.label.text) / 2;
    const rect = { x: e.label.x - half, y: e.label.y - 9, w: 2 * half, h: 11 };
    for (const b of layout.boxes) assert.ok(!overlaps(rect, b), `label "${e.label.text}" covers box ${b.id}`);
  }
}

describe('FSM layout for the dashboard', () => {
  it('lays out the DUNE FSM left to right along the run sequence', () => {
    const fsm = Fsm.compile(DEFAULT_FSM);
    const layout = layoutFsm(fsm);
    checkLayout(fsm, layout);
    const box = (id: string) => layout.boxes.find((b) => b.id === id)!;
    const chain = ['none', 'initial', 'configured', 'ready', 'running'];
    for (let i = 1; i < chain.length; i++) assert.ok(box(chain[i - 1]).x < box(chain[i]).x, `${chain[i - 1]} is left of ${chain[i]}`);
    assert.ok(box('ready').x < box('dataflow_drained').x && box('dataflow_drained').x < box('trigger_sources_stopped').x);
    // The main sequence shares one row; the error state is below, next to the pseudo-node.
    for (const s of chain) assert.equal(box(s).y, box('none').y, s);
    assert.ok(box('error').y > box('none').y);
    assert.equal(box('error').x + box('error').w / 2, box(ANY_STATE).x + box(ANY_STATE).w / 2, 'error shares the pseudo-node\'s column');
    assert.equal(box('none').initial, true);
    assert.equal(box('error').error, true);
    // Going back (stop, scrap, terminate, disable_triggers) arcs over the top, not through boxes.
    for (const name of ['stop', 'scrap', 'disable_triggers']) assert.equal(layout.edges.find((e) => e.transitions.includes(name))!.kind, 'back', name);
    // change_rate stays where it is: one loop on ready and one on running.
    assert.deepEqual(layout.edges.filter((e) => e.transitions.includes('change_rate')).map((e) => [e.kind, e.from]), [['self', 'ready'], ['self', 'running']]);
  });

  it('lays out a custom FSM with patterns, stay transitions and a long forward jump', () => {
    const fsm = Fsm.compile({
      states: ['off', 'idle', 'armed', 'taking', 'fault'],
      initial: 'off',
      errorState: 'fault',
      transitions: [
        { name: 'power', source: ['off'], dest: 'idle' },
        { name: 'arm', source: ['idle'], dest: 'armed' },
        { name: 'go', source: ['armed'], dest: 'taking' },
        { name: 'tune', source: 'armed|taking', dest: '' },
        { name: 'halt', source: ['taking'], dest: 'idle' },
        { name: 'jump', source: ['idle'], dest: 'taking' },
        { name: 'off', source: ['idle', 'fault'], dest: 'off' },
        { name: 'kill', source: '*', dest: 'off' },
      ],
      sequences: [],
    });
    checkLayout(fsm, layoutFsm(fsm));
  });

  it('lays out an FSM of one state', () => {
    const fsm = Fsm.compile({ states: ['only', 'err'], initial: 'only', errorState: 'err', transitions: [{ name: 'poke', source: ['only'], dest: '' }], sequences: [] });
    checkLayout(fsm, layoutFsm(fsm));
  });
});

function grow(b: LayoutBox, by: number) {
  return { x: b.x - by, y: b.y - by, w: b.w + 2 * by, h: b.h + 2 * by };
}

function overlaps(a: { x: number; y: number; w: number; h: number }, b: { x: number; y: number; w: number; h: number }): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function points(d: string): Array<[number, number]> {
  return [...d.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}
