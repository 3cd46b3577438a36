import assert from 'node:assert/strict';
import { parseRunConfig } from '../../../src/core/config/load';
import { EventStream, type SessionEvent } from '../../../src/core/control/events';
import { ControlTree, MIXED, EMPTY, type AppNode } from '../../../src/core/control/tree';
import { groupsFor, timeoutFor } from '../../../src/core/control/propagation';
import { buildCommand, baseModuleData } from '../../../src/core/control/command-data';
import { collectFailures, combineOutcomes, formatReport, type NodeOutcome } from '../../../src/core/control/report';
import { DEFAULT_FSM } from '../../../src/core/fsm/default-fsm';
import { Fsm } from '../../../src/core/fsm/fsm';

const CONFIG = `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata: {name: t}
spec:
  execs: {x: {command: [x]}}
  segments:
    - name: a
      apps: [{name: a1, exec: x}, {name: a2, exec: x}]
    - name: b
      segments:
        - name: b1
          apps: [{name: b11, exec: x}]
      apps: [{name: b2, exec: x}]
  order:
    start: [[b], [a]]
`;

function tree() {
  const events = new EventStream();
  const seen: SessionEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const t = new ControlTree(parseRunConfig(CONFIG).root, Fsm.compile(DEFAULT_FSM), events);
  const app = (n: string) => t.app(n)! as AppNode;
  return { t, app, seen };
}

describe('control tree', () => {
  it('builds paths for nested segments and finds nodes by path or name', () => {
    const { t } = tree();
    assert.deepEqual([...t.walk()].map((n) => n.path), ['', 'a', 'a/a1', 'a/a2', 'b', 'b/b1', 'b/b1/b11', 'b/b2']);
    assert.equal(t.find('b/b1/b11')!.name, 'b11');
    assert.equal(t.find('b11')!.path, 'b/b1/b11');
    assert.equal(t.find('/'), t.root);
    assert.equal(t.find('nope'), undefined);
  });

  it('a parent shows the common state of its included children, mixed when they disagree', () => {
    const { t, app } = tree();
    assert.equal(t.root.state, 'none');
    app('a1').begin('boot');
    assert.equal(app('a1').inProgress, true);
    app('a1').succeed();
    assert.equal(t.find('a')!.state, MIXED);
    assert.equal(t.root.state, MIXED);
    for (const n of ['a2', 'b11', 'b2']) app(n).force('initial');
    assert.equal(t.root.state, 'initial');
  });

  it('a child in error puts every ancestor in error, with the reason and its origin', () => {
    const { t, app, seen } = tree();
    for (const a of t.apps) a.force('configured');
    app('b11').begin('start');
    app('b11').fail('link down');
    assert.equal(t.find('b/b1')!.state, 'error');
    assert.equal(t.find('b')!.state, 'error');
    assert.equal(t.root.state, 'error');
    assert.deepEqual({ ...t.root.error!, since: 0 }, { message: 'link down', from: 'b/b1/b11', since: 0 });
    assert.equal(app('b11').stateBeforeError, 'configured');
    assert.ok(seen.some((e) => e.type === 'node' && e.path === '' && e.state === 'error'));
  });

  it('excluded children do not count, and a segment with none included says so', () => {
    const { t, app } = tree();
    for (const a of t.apps) a.force('configured');
    app('a1').fail('dead');
    assert.equal(t.root.state, 'error');
    app('a1').setIncluded(false);
    assert.equal(t.find('a')!.state, 'configured');
    assert.equal(t.root.state, 'configured');
    assert.equal(app('a1').included, false);
    t.find('b')!.setIncluded(false);
    assert.equal(app('b11').included, false, 'inclusion is inherited');
    assert.equal(t.root.state, 'configured');
    app('a2').setIncluded(false);
    assert.equal(t.find('a')!.state, EMPTY);
    assert.deepEqual(t.appsUnder(t.root, true).map((a) => a.name), []);
  });
});

describe('propagation order', () => {
  const seg = parseRunConfig(CONFIG).root;
  it('uses the configured groups, and the reverse of start for stop', () => {
    assert.deepEqual(groupsFor(seg, 'start', ['a', 'b']), [['b'], ['a']]);
    assert.deepEqual(groupsFor(seg, 'stop', ['a', 'b']), [['a'], ['b']]);
    assert.deepEqual(groupsFor(seg, 'conf', ['a', 'b']), [['a', 'b']]);
  });
  it('drops absent (excluded) children and runs unlisted ones last', () => {
    assert.deepEqual(groupsFor(seg, 'start', ['a']), [['a']]);
    assert.deepEqual(groupsFor({ ...seg, order: { start: [['a']] } }, 'start', ['a', 'b', 'c']), [['a'], ['b', 'c']]);
  });
  it('takes the most specific timeout', () => {
    assert.equal(timeoutFor('conf', [{ conf: 1 }, { conf: 2, default: 3 }]), 1);
    assert.equal(timeoutFor('start', [{ conf: 1 }, { default: 3 }, { start: 9 }]), 9);
    assert.equal(timeoutFor('stop', [{}, { default: 3 }, { default: 4 }]), 3);
  });
});

describe('command data', () => {
  it('carries the rcif start parameters and upper-case states', () => {
    const cmd = buildCommand('start', baseModuleData('start', { runNumber: 42, runType: 'PROD', triggerRate: 1.5 }), undefined, 'configured', 'ready');
    assert.deepEqual(cmd, {
      id: 'start',
      data: { modules: [{ match: '', data: { run: 42, disable_data_storage: false, production_vs_test: 'PROD', trigger_rate: 1.5 } }] },
      entry_state: 'CONFIGURED',
      exit_state: 'READY',
    });
  });
  it('merges the configured module data over the defaults and keeps extra keys', () => {
    const cmd = buildCommand('conf', baseModuleData('conf', {}), { modules: [{ match: 'ru', data: { link_count: 10 } }], simulate: { delay_ms: 5 } }, 'initial', 'configured');
    assert.deepEqual(cmd.data, { simulate: { delay_ms: 5 }, modules: [{ match: 'ru', data: { link_count: 10 } }] });
    assert.deepEqual(baseModuleData('exclude', { resourceName: 'apa1' }), { resource_name: 'apa1' });
  });
});

describe('execution report', () => {
  const leaf = (name: string, outcome: NodeOutcome['outcome'], reason?: string): NodeOutcome => ({ path: `s/${name}`, name, kind: 'app', outcome, reason, durationMs: 12 });
  it('a segment takes its worst outcome and failures list every problem application', () => {
    const kids = [leaf('x', 'ok'), leaf('y', 'timeout', 'no reply'), leaf('z', 'skipped')];
    assert.equal(combineOutcomes(kids), 'timeout');
    assert.equal(combineOutcomes([leaf('z', 'skipped')]), 'skipped');
    const root: NodeOutcome = { path: '', name: 't', kind: 'root', outcome: 'timeout', children: [{ path: 's', name: 's', kind: 'segment', outcome: 'timeout', children: kids }] };
    assert.deepEqual(collectFailures(root), [{ path: 's/y', outcome: 'timeout', reason: 'no reply' }]);
    const text = formatReport({ transition: 'conf', path: '', ok: false, startedAt: 0, finishedAt: 5, durationMs: 5, root, failures: [] }, { onlyProblems: true });
    assert.match(text, /^conf FAILED in 5ms/);
    assert.match(text, /y timeout 12ms: no reply/);
    assert.doesNotMatch(text, / x ok/);
  });
});
