import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRunConfig } from '../../../src/core/config/load';
import { LocalProcessManager } from '../../../src/core/backends/local/local-process-manager';
import { Session } from '../../../src/core/control/session';
import { launchRefusal, transitionChoices } from '../../../src/extension/session-presentation';

// A custom FSM where most transitions are NOT allowed from any one state: the quick pick
// must offer exactly what the session allows, never the default FSM's names.
const CONFIG = `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata: {name: choices}
spec:
  execs: {x: {command: [unused]}}
  fsm:
    states: [none, idle, primed, acquiring, paused, error]
    transitions:
      boot: {source: none, dest: idle}
      prime: {source: idle, dest: primed}
      acquire: {source: primed, dest: acquiring}
      pause: {source: acquiring, dest: paused}
      resume: {source: paused, dest: acquiring}
      retune: {source: "primed|acquiring"}
      unprime: {source: [primed, paused], dest: idle}
      terminate: {source: [idle, error], dest: none}
    sequences:
      take: ["[prime]", acquire]
      rest: ["[pause]", unprime]
  segments:
    - name: seg
      apps: [{name: a, exec: x}, {name: b, exec: x}]
`;

describe('extension: the quick pick of transitions', () => {
  let dir: string;
  let session: Session;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-choices-'));
    const pm = new LocalProcessManager({ session: 'choices', sessionDir: path.join(dir, 'sessions', 'choices') });
    session = await Session.open(parseRunConfig(CONFIG, path.join(dir, 'choices.baton.yaml')), { batonDir: dir, processManager: pm });
  });

  after(async () => {
    await session?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const force = (state: string) => session.tree.apps.forEach((a) => a.force(state));
  const steps = (at = '', busy = false) => transitionChoices(session, at, busy).map((c) => c.step);

  it('offers, for a custom FSM, only what is allowed from the current state, then abort', () => {
    const expected: Record<string, string[]> = {
      none: ['boot', 'abort'],
      idle: ['prime', 'terminate', 'take', 'abort'],
      primed: ['acquire', 'retune', 'unprime', 'take', 'rest', 'abort'],
      acquiring: ['pause', 'retune', 'rest', 'abort'],
      paused: ['resume', 'unprime', 'rest', 'abort'],
    };
    for (const [state, offered] of Object.entries(expected)) {
      force(state);
      assert.deepEqual(steps(), offered, `from ${state}`);
    }
    for (const s of Object.keys(expected)) {
      force(s);
      for (const step of steps()) if (step !== 'abort') assert.ok(session.allowed().includes(step), `${step} offered from ${s}`);
    }
  });

  it('describes destinations and sequences from the FSM, and offers recover only in error', () => {
    force('primed');
    const byStep = new Map(transitionChoices(session, '', false).map((c) => [c.step, c]));
    assert.equal(byStep.get('acquire')!.description, '→ acquiring');
    assert.equal(byStep.get('retune')!.description, '→ primed');
    assert.equal(byStep.get('take')!.description, 'sequence: prime → acquire');
    assert.equal(byStep.get('take')!.icon, 'run-all');
    assert.ok(!byStep.has('recover'));
    session.tree.app('a')!.fail('broken');
    assert.deepEqual(steps('seg/a'), ['terminate', 'abort', 'recover']);
  });

  it('offers nothing but abort while a step is in progress', () => {
    force('primed');
    assert.deepEqual(steps('', true), ['abort']);
  });

  it('refuses to launch anything in an untrusted workspace', () => {
    assert.match(launchRefusal(false)!, /not trusted.*launches nothing/);
    assert.equal(launchRefusal(true), undefined);
  });
});
