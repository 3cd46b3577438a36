import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseRunConfig } from '../../../src/core/config/load';
import { DEFAULT_FSM } from '../../../src/core/fsm/default-fsm';
import { demoConfigText } from '../../../src/extension/demo-config';
import {
  canKey,
  changedKeys,
  contextKeys,
  formatDuration,
  progressMessage,
  statusBarText,
  STEP_COMMANDS,
  stepCommandId,
  type SessionSnapshot,
} from '../../../src/extension/session-presentation';
import { Coalescer, type TimerFns } from '../../../src/extension/views/coalescer';

const root = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

const idle: SessionSnapshot = { session: 'demo', state: 'configured', allowed: ['start', 'scrap', 'start_run', 'shutdown'], customFsm: false, inError: false, hasReport: false };

describe('extension: session presentation', () => {
  it('enables exactly the steps the session allows', () => {
    const keys = contextKeys(idle);
    assert.equal(keys['baton.hasSession'], true);
    assert.equal(keys[canKey('start')], true);
    assert.equal(keys[canKey('start_run')], true);
    assert.equal(keys[canKey('conf')], false);
    assert.equal(keys[canKey('stop_run')], false);
    assert.equal(keys['baton.state'], 'configured');
  });

  it('disables every step while busy, and everything without a session', () => {
    const busy = contextKeys({ ...idle, busy: 'start_run', allowed: ['abort'] });
    for (const { step } of STEP_COMMANDS) assert.equal(busy[canKey(step)], false, step);
    assert.equal(busy['baton.busy'], true);
    const none = contextKeys({ allowed: [], customFsm: false, inError: false, hasReport: false });
    assert.equal(none['baton.hasSession'], false);
    for (const { step } of STEP_COMMANDS) assert.equal(none[canKey(step)], false, step);
  });

  it('offers recover only in error and when idle', () => {
    assert.equal(contextKeys({ ...idle, inError: true })['baton.canRecover'], true);
    assert.equal(contextKeys({ ...idle, inError: true, busy: 'abort' })['baton.canRecover'], false);
  });

  it('reports only the keys that changed', () => {
    const a = contextKeys(idle);
    assert.equal(changedKeys(undefined, a).length, Object.keys(a).length);
    assert.deepEqual(changedKeys(a, contextKeys(idle)), []);
    const b = contextKeys({ ...idle, state: 'ready', allowed: ['enable_triggers'] });
    assert.deepEqual(changedKeys(a, b).sort(), ['baton.can.enable_triggers', 'baton.can.scrap', 'baton.can.shutdown', 'baton.can.start', 'baton.can.start_run', 'baton.state'].sort());
  });

  it('writes the status bar: session, state, run number and duration', () => {
    assert.equal(statusBarText({ allowed: [], customFsm: false, inError: false, hasReport: false }), '$(circle-outline) Baton');
    assert.equal(statusBarText(idle), '$(pulse) demo: configured');
    const now = 1_000_000;
    assert.equal(statusBarText({ ...idle, state: 'running', run: { number: 12, type: 'TEST', startedAt: now - 201_000 } }, now), '$(record) demo: running · run 12 03:21');
    assert.equal(statusBarText({ ...idle, busy: 'conf', progress: { name: 'conf', done: 37, total: 40 } }), '$(loading~spin) demo: conf: 37/40 applications');
    assert.equal(statusBarText({ ...idle, state: 'error', inError: true }), '$(error) demo: error');
  });

  it('formats durations and progress', () => {
    assert.equal(formatDuration(0), '00:00');
    assert.equal(formatDuration(59_999), '00:59');
    assert.equal(formatDuration(3_723_000), '1:02:03');
    assert.equal(progressMessage({ name: 'conf', done: 37, total: 40 }), 'conf: 37/40 applications');
    assert.equal(progressMessage({ name: 'boot', done: 0, total: 1 }), 'boot: 0/1 application');
  });

  it('writes a demo configuration that validates', () => {
    const config = parseRunConfig(demoConfigText('/opt/baton "ext"/dist/daq-app.js'), 'demo.baton.yaml');
    assert.equal(config.name, 'demo');
    assert.deepEqual(config.execs['daq-app'].command, ['node', '/opt/baton "ext"/dist/daq-app.js']);
  });
});

describe('extension: manifest', () => {
  const commands = new Map<string, { title: string; category: string; icon: string }>(pkg.contributes.commands.map((c: { command: string }) => [c.command, c]));

  it('has a palette command for every transition and sequence of the default FSM, gated by its context key', () => {
    const steps = [...DEFAULT_FSM.transitions.map((t) => t.name).filter((n) => n !== 'abort'), ...DEFAULT_FSM.sequences!.map((s) => s.name)];
    assert.deepEqual(STEP_COMMANDS.map((s) => s.step).sort(), [...steps].sort());
    const palette = new Map<string, string>(pkg.contributes.menus.commandPalette.map((m: { command: string; when: string }) => [m.command, m.when]));
    for (const step of steps) {
      assert.ok(commands.has(stepCommandId(step)), step);
      assert.equal(palette.get(stepCommandId(step)), canKey(step));
    }
  });

  it('gives every command the Baton category and a codicon, and every menu entry a declared command', () => {
    for (const [id, c] of commands) {
      assert.equal(c.category, 'Baton', id);
      assert.match(c.icon, /^\$\([a-z-~]+\)$/, id);
    }
    for (const [where, entries] of Object.entries(pkg.contributes.menus as Record<string, Array<{ command: string }>>)) {
      for (const e of entries) assert.ok(commands.has(e.command), `${where}: ${e.command}`);
    }
  });

  it('keeps the language contributions, activates minimally and supports Restricted Mode', () => {
    assert.ok(pkg.contributes.languages.some((l: { id: string }) => l.id === 'baton'));
    assert.ok(pkg.contributes.grammars.length > 0);
    assert.ok(pkg.contributes.yamlValidation.length > 0);
    assert.deepEqual(pkg.activationEvents, ['workspaceContains:**/*.baton.yaml']);
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.equal(pkg.main, './dist/extension.js');
    assert.ok(pkg.contributes.viewsContainers.activitybar.some((c: { icon: string }) => c.icon === 'media/baton.svg'));
    const viewIds = pkg.contributes.views.baton.map((v: { id: string }) => v.id);
    assert.deepEqual(viewIds, ['baton.runControl', 'baton.clusters']);
  });

  it('matches inline item actions against the context value tokens the tree produces', () => {
    const inline = pkg.contributes.menus['view/item/context'].filter((m: { group?: string }) => m.group?.startsWith('inline'));
    const re = (when: string) => new RegExp(/viewItem =~ \/(.*)\/$/.exec(when)![1]);
    const exclude = inline.find((m: { command: string }) => m.command === 'baton.exclude');
    assert.ok(re(exclude.when).test('baton.app;included;can-exclude;alive'));
    assert.ok(!re(exclude.when).test('baton.app;excluded;can-include'));
  });
});

describe('extension: coalescer', () => {
  function fakeTimers() {
    const pending: Array<() => void> = [];
    const timers: TimerFns = { set: (fn) => pending.push(fn), clear: () => pending.splice(0) };
    return { timers, tick: () => pending.splice(0).forEach((f) => f()), pending };
  }

  it('hands over a burst of changes once, deduplicated', () => {
    const { timers, tick, pending } = fakeTimers();
    const flushed: Array<string[] | 'all'> = [];
    const c = new Coalescer<string>((k) => flushed.push(k === 'all' ? 'all' : [...k]), 16, 500, timers);
    for (let i = 0; i < 100; i++) c.add(`n${i % 10}`);
    assert.equal(pending.length, 1);
    tick();
    assert.deepEqual(flushed, [Array.from({ length: 10 }, (_, i) => `n${i}`)]);
    tick();
    assert.equal(flushed.length, 1);
  });

  it('turns a huge burst into one full refresh, and drops everything on cancel', () => {
    const { timers, tick } = fakeTimers();
    const flushed: Array<number | 'all'> = [];
    const c = new Coalescer<number>((k) => flushed.push(k === 'all' ? 'all' : k.size), 16, 5, timers);
    for (let i = 0; i < 1000; i++) c.add(i);
    tick();
    assert.deepEqual(flushed, ['all']);
    c.add(1);
    c.cancel();
    tick();
    assert.deepEqual(flushed, ['all']);
    c.dispose();
    c.add(2);
    c.flush();
    assert.deepEqual(flushed, ['all']);
  });

  it('flushes on a real timer within about one frame', async () => {
    let calls = 0;
    const c = new Coalescer<number>(() => calls++, 16);
    for (let i = 0; i < 1000; i++) c.add(i % 50);
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(calls, 1);
    c.dispose();
  });
});
