import assert from 'node:assert/strict';
import { DEFAULT_FSM, Fsm } from '../../../src/core/fsm';

const fsm = Fsm.compile(DEFAULT_FSM);

describe('Fsm diagrams', () => {
  describe('toMermaid', () => {
    const text = fsm.toMermaid({ current: 'running' });
    const lines = text.split('\n');
    const idOf = (state: string): string => {
      const line = lines.find((l) => l.trim().startsWith(`state "${state}" as `));
      assert.ok(line, `state ${state} declared`);
      return line.trim().split(' as ')[1];
    };

    it('is a stateDiagram-v2 declaring every state', () => {
      assert.equal(lines[0], 'stateDiagram-v2');
      for (const s of fsm.states) idOf(s);
    });

    it('draws every transition from each of its sources', () => {
      assert.ok(lines.includes(`    [*] --> ${idOf('none')}`));
      assert.ok(lines.includes(`    ${idOf('none')} --> ${idOf('initial')} : boot`));
      assert.ok(lines.includes(`    ${idOf('initial')} --> ${idOf('none')} : terminate`));
      assert.ok(lines.includes(`    ${idOf('error')} --> ${idOf('none')} : terminate`));
      assert.ok(lines.includes(`    ${idOf('ready')} --> ${idOf('ready')} : change_rate`));
      assert.ok(lines.includes(`    ${idOf('running')} --> ${idOf('running')} : change_rate`));
      for (const t of fsm.transitionNames) assert.ok(lines.some((l) => l.endsWith(` : ${t}`)), t);
    });

    it('draws abort once, from the "any state" pseudo-state', () => {
      const aborts = lines.filter((l) => l.endsWith(' : abort'));
      assert.deepEqual(aborts, [`    any_state --> ${idOf('none')} : abort`]);
      assert.ok(lines.includes(`    any_state --> ${idOf('error')} : a transition fails`));
    });

    it('highlights the current state with a classDef', () => {
      assert.ok(lines.some((l) => l.startsWith('    classDef current ')));
      assert.ok(lines.includes(`    class ${idOf('running')} current`));
      assert.ok(!fsm.toMermaid().includes('current'));
    });
  });

  describe('toDot', () => {
    const text = fsm.toDot({ current: 'ready' });

    it('is a digraph declaring every state', () => {
      assert.match(text, /^digraph fsm \{\n/);
      assert.match(text, /\}\n$/);
      for (const s of fsm.states) assert.match(text, new RegExp(`^  "${s}"( \\[[^\\n]*\\])?;$`, 'm'), s);
    });

    it('draws every transition, stay-transitions as self-loops, abort once', () => {
      assert.ok(text.includes('  _start -> "none";'));
      assert.ok(text.includes('  "none" -> "initial" [label="boot"];'));
      assert.ok(text.includes('  "trigger_sources_stopped" -> "configured" [label="stop"];'));
      assert.ok(text.includes('  "ready" -> "ready" [label="change_rate"];'));
      assert.ok(text.includes('  "running" -> "running" [label="change_rate"];'));
      assert.equal(text.split('label="abort"').length - 1, 1);
      assert.ok(text.includes('  _any -> "none" [label="abort", style=dashed];'));
      for (const t of fsm.transitionNames) assert.ok(text.includes(`label="${t}"`), t);
    });

    it('highlights the current state', () => {
      assert.ok(text.includes('  "ready" [style="rounded,filled,bold", fillcolor="#ffd54f"];'));
      assert.ok(!fsm.toDot().includes('fillcolor'));
    });
  });

  it('rejects an unknown current state', () => {
    assert.throws(() => fsm.toMermaid({ current: 'limbo' }), /cannot highlight unknown state "limbo"/);
    assert.throws(() => fsm.toDot({ current: 'limbo' }), /cannot highlight unknown state "limbo"/);
  });

  it('draws an any-sourced stay-transition as a loop on the pseudo-node', () => {
    const f = Fsm.compile({
      states: ['a', 'error'],
      initial: 'a',
      errorState: 'error',
      transitions: [{ name: 'ping', source: '*', dest: '' }],
      sequences: [],
    });
    assert.ok(f.toMermaid().includes('    any_state --> any_state : ping'));
    assert.ok(f.toDot().includes('  _any -> _any [label="ping", style=dashed];'));
  });
});
