import assert from 'node:assert/strict';
import { parseRunConfig } from '../../../src/core/config/load';
import { EventStream } from '../../../src/core/control/events';
import { ControlTree, type ControlNode } from '../../../src/core/control/tree';
import { DEFAULT_FSM } from '../../../src/core/fsm/default-fsm';
import { Fsm } from '../../../src/core/fsm/fsm';
import { md, nodeView, presentNode, SPINNER, stateLook, type NodeView, type SessionLike } from '../../../src/extension/views/tree-presentation';

const CONFIG = `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata: {name: t}
spec:
  execs: {x: {command: [x]}}
  segments:
    - name: a
      apps: [{name: a1, exec: x, port: 4001}, {name: a2, exec: x}]
    - name: b
      apps: [{name: b1, exec: x}]
`;

const FSM = { initial: 'none', errorState: 'error' };

function app(over: Partial<NodeView> = {}): NodeView {
  return { kind: 'app', name: 'ru-apa1', path: 'readout/ru-apa1', state: 'running', included: true, excludedHere: false, sessionBusy: false, fsm: FSM, host: '127.0.0.1', port: 3456, pid: 42, alive: true, ...over };
}

function session(t: ControlTree, processes: Record<string, { pid?: number; alive: boolean; logFile?: string; reason?: string; host: string; port: number }> = {}, busy?: string): SessionLike {
  const fsm = Fsm.compile(DEFAULT_FSM);
  return {
    busy,
    fsm,
    describeState: (n: ControlNode) => n.state,
    tree: t,
    processManager: { info: (name: string) => processes[name] },
  };
}

const tokens = (cv: string) => cv.split(';');

describe('extension: tree presentation', () => {
  it('shows a running application with host, port, pid and a green play icon', () => {
    const p = presentNode(app());
    assert.equal(p.label, 'ru-apa1');
    assert.equal(p.id, 'readout/ru-apa1');
    assert.equal(p.description, 'running · 127.0.0.1:3456 · pid 42');
    assert.equal(p.icon, 'play-circle');
    assert.equal(p.color, 'charts.green');
    assert.equal(p.collapsible, 'none');
    assert.deepEqual(tokens(p.contextValue), ['baton.app', 'included', 'can-exclude', 'alive']);
    assert.match(p.tooltip, /host 127\\\.0\\\.0\\\.1, port 3456/);
    assert.match(p.tooltip, /pid 42 \(alive\)/);
  });

  it('shows a Kubernetes application\'s pod status and node, and the pod in the tooltip', () => {
    const p = presentNode(app({ host: '10.1.2.3', pid: undefined, pod: { namespace: 'coldbox', name: 'ru-apa1', node: 'felix-01', status: 'Running' } }));
    assert.equal(p.description, 'running · Running on felix-01 · 10.1.2.3:3456');
    assert.match(p.tooltip, /pod coldbox\/ru\\-apa1 on node felix\\-01: Running/);
    const pending = presentNode(app({ pid: undefined, pod: { namespace: 'coldbox', name: 'ru-apa1', status: 'Pending' } }));
    assert.match(pending.description ?? '', /· Pending ·/);
    assert.match(pending.tooltip, /\(not scheduled\): Pending/);
  });

  it('shows a spinner and progress while a transition is in progress', () => {
    const p = presentNode(app({ state: 'configured', transition: { name: 'start', startedAt: Date.now() } }));
    assert.equal(p.icon, SPINNER);
    assert.equal(p.icon, 'loading~spin');
    assert.match(p.description, /^start…/);
    assert.ok(tokens(p.contextValue).includes('in-progress'));
    const seg = presentNode({ ...app(), kind: 'segment', name: 'readout', path: 'readout', appCount: 40, transition: { name: 'conf', startedAt: 0, done: 37, total: 40 } });
    assert.match(seg.description, /^conf… 37\/40 · 40 apps$/);
  });

  it('puts the error reason in the description, a red error icon and the tooltip', () => {
    const p = presentNode(app({ state: 'error', error: { message: 'conf timed out after 10 s', since: Date.now(), from: 'readout/ru-apa1' } }));
    assert.equal(p.icon, 'error');
    assert.equal(p.color, 'errorForeground');
    assert.ok(tokens(p.contextValue).includes('in-error'));
    assert.match(p.description, /conf timed out after 10 s/);
    assert.match(p.tooltip, /\*\*Error\*\*/);
    assert.match(p.tooltip, /conf timed out after 10 s/);
    const seg = presentNode({ ...app(), kind: 'segment', name: 'readout', path: 'readout', state: 'error', error: { message: 'boom', since: 0, from: 'readout/ru-apa1' } });
    assert.match(seg.tooltip, /from `readout\/ru-apa1`/);
  });

  it('greys excluded nodes and offers include instead of exclude', () => {
    const p = presentNode(app({ included: false, excludedHere: true }));
    assert.equal(p.icon, 'eye-closed');
    assert.equal(p.color, 'disabledForeground');
    assert.match(p.description, /^excluded · /);
    assert.ok(tokens(p.contextValue).includes('can-include'));
    assert.ok(!tokens(p.contextValue).includes('can-exclude'));
    assert.match(p.tooltip, /excluded from transitions/);
    const child = presentNode(app({ included: false, excludedHere: false }));
    assert.match(child.description, /^excluded \(parent\)/);
    assert.ok(tokens(child.contextValue).includes('can-exclude'));
  });

  it('offers no include/exclude while the session is busy, nor on the root', () => {
    assert.ok(!presentNode(app({ sessionBusy: true })).contextValue.includes('can-'));
    const root = presentNode({ ...app(), kind: 'root', name: 'demo', path: '', appCount: 7 });
    assert.equal(root.id, '/');
    assert.equal(root.collapsible, 'expanded');
    assert.deepEqual(tokens(root.contextValue), ['baton.root', 'included']);
    assert.match(root.description, /7 apps/);
  });

  it('marks an application whose process died', () => {
    const p = presentNode(app({ alive: false, exitReason: 'killed by SIGKILL' }));
    assert.equal(p.icon, 'debug-disconnect');
    assert.ok(tokens(p.contextValue).includes('dead'));
    assert.match(p.description, /process dead/);
    assert.match(p.tooltip, /killed by SIGKILL/);
  });

  it('shows the last command and log file in the tooltip, and has-log for the inline action', () => {
    const p = presentNode(app({ lastCommand: 'start', lastOkCommand: 'conf', logFile: '/tmp/x.log' }));
    assert.match(p.tooltip, /last command: `start` \(last ok: `conf`\)/);
    assert.match(p.tooltip, /log: `\/tmp\/x.log`/);
    assert.ok(tokens(p.contextValue).includes('has-log'));
  });

  it('maps every default FSM state, mixed, and unknown custom states to a look', () => {
    for (const s of DEFAULT_FSM.states) assert.ok(stateLook(s, FSM).icon, s);
    assert.equal(stateLook('none', FSM).icon, 'circle-outline');
    assert.equal(stateLook('mixed', FSM).icon, 'warning');
    assert.deepEqual(stateLook('calibrating', FSM), { icon: 'circle-filled', color: 'charts.purple' });
    assert.equal(stateLook('idle', { initial: 'idle', errorState: 'broken' }).icon, 'circle-outline');
    assert.equal(stateLook('broken', { initial: 'idle', errorState: 'broken' }).icon, 'error');
  });

  it('escapes Markdown in names and messages', () => {
    assert.equal(md('a*b_[c](d)'), 'a\\*b\\_\\[c\\]\\(d\\)');
    const p = presentNode(app({ name: '**x**', state: 'error', error: { message: '<img src=x>', since: 0, from: 'x' } }));
    assert.ok(p.tooltip.includes('\\<img src=x\\>'));
  });

  it('gathers a view from a live control tree and process info', () => {
    const t = new ControlTree(parseRunConfig(CONFIG).root, Fsm.compile(DEFAULT_FSM), new EventStream());
    const s = session(t, { a1: { pid: 7, alive: true, host: '127.0.0.1', port: 4001, logFile: '/l/a1.log' } });
    const a1 = t.app('a1')!;
    a1.begin('boot');
    a1.succeed();
    const v = nodeView(a1, s);
    assert.equal(v.state, 'initial');
    assert.equal(v.pid, 7);
    assert.equal(v.lastCommand, 'boot');
    assert.equal(v.logFile, '/l/a1.log');
    const seg = nodeView(t.find('a')!, s);
    assert.equal(seg.kind, 'segment');
    assert.equal(seg.appCount, 2);
    assert.equal(seg.state, 'mixed');
    assert.equal(presentNode(seg).icon, 'warning');
    t.find('b')!.setIncluded(false);
    const b1 = presentNode(nodeView(t.app('b1')!, s));
    assert.match(b1.description, /^excluded \(parent\)/);
    assert.equal(nodeView(t.root, s).appCount, 2);
    assert.ok(!presentNode(nodeView(a1, session(t, {}, 'conf'))).contextValue.includes('can-exclude'));
  });
});
