import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { V1Node, V1Pod } from '../../../src/core/backends/kubernetes/client';
import { ClusterIndex, summarizeNode, summarizePod } from '../../../src/core/backends/kubernetes/cluster-inventory';
import { formatAllocatable, listClusterTree, nodeSelectorSnippet, presentContext, presentLocal, presentMessage, presentNode, presentPod } from '../../../src/extension/views/clusters-model';

const node = (name: string, more: Partial<V1Node['status']> = {}, labels: Record<string, string> = {}, spec: V1Node['spec'] = {}): V1Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec,
  status: { allocatable: { cpu: '16', memory: '65536Mi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }], ...more },
});

const pod = (name: string, nodeName: string | undefined, status: V1Pod['status']): V1Pod => ({
  metadata: { name, namespace: 'np04', labels: { 'app.kubernetes.io/managed-by': 'baton', 'baton.dev/session': 'np04', 'baton.dev/app': name } },
  spec: { nodeName, containers: [{ name: 'app' }] },
  status,
});

const RUNNING: V1Pod['status'] = { phase: 'Running', podIP: '127.1.0.5', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'x', imageID: 'x', state: { running: {} } }] };

describe('Clusters view model', () => {
  it('describes a node: readiness, schedulability, roles, allocatable, pods; labels and taints in the tooltip', () => {
    const n = summarizeNode(node('felix-01', { allocatable: { cpu: '7500m', memory: '32Gi', pods: '110', 'felix.cern/card': '1' } }, { 'node-role.kubernetes.io/readout': '', 'felix.cern/card': 'true' }, { taints: [{ key: 'felix', effect: 'NoSchedule' }] }));
    const p = presentNode('sim', n, 3);
    assert.equal(p.label, 'felix-01');
    assert.equal(p.description, 'Ready · readout · 7.5 CPU · 32 GiB · felix.cern/card: 1 · 3 pods');
    assert.equal(p.icon, 'server');
    assert.equal(p.color, 'charts.green');
    assert.equal(p.contextValue, 'baton.node;ready;schedulable;has-labels');
    assert.equal(p.collapsible, 'collapsed');
    assert.match(p.tooltip, /taints:\n\n- `felix:NoSchedule`/);
    assert.match(p.tooltip, /- `felix\.cern\/card=true`/);
    assert.equal(p.id, 'ctx/sim/node/felix-01');

    const down = presentNode('sim', summarizeNode(node('n2', { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }] }, {}, { unschedulable: true })), 0);
    assert.equal(down.description.split(' · ')[0], 'NotReady,SchedulingDisabled');
    assert.equal(down.color, 'errorForeground');
    assert.equal(down.collapsible, 'none');
    assert.match(down.contextValue, /\bnot-ready\b.*\bcordoned\b/);
    assert.match(down.tooltip, /NodeStatusUnknown: Kubelet stopped posting node status\\\./);
  });

  it('formats allocatable CPU and memory as people read them', () => {
    assert.deepEqual(formatAllocatable({ cpu: '250m', memory: '512Mi', extended: {} }), ['0.25 CPU', '512 MiB']);
    assert.deepEqual(formatAllocatable({ cpu: '4', memory: '16G', extended: { 'b/x': '2', 'a/y': '1' } }), ['4 CPU', '14.9 GiB', 'a/y: 1', 'b/x: 2']);
  });

  it('shows a pod\'s status words, and its application\'s FSM state when the session owns it', () => {
    const running = summarizePod(pod('ru-01', 'felix-01', RUNNING));
    const fsm = { initial: 'none', errorState: 'error' };
    const p = presentPod('sim', 'felix-01', running, { state: 'running', fsm });
    assert.equal(p.label, 'ru-01');
    assert.equal(p.description, 'Running · running · np04');
    assert.equal(p.icon, 'play-circle');
    assert.match(p.contextValue, /\bbaton\.pod\b.*\bhas-log\b.*\bin-session\b/);
    assert.match(p.tooltip, /FSM state: `running`/);
    const busy = presentPod('sim', 'felix-01', running, { state: 'ready', inProgress: 'start', fsm });
    assert.equal(busy.description, 'Running · start… · np04');
    assert.equal(busy.icon, 'loading~spin');
    const other = presentPod('sim', 'felix-01', running);
    assert.equal(other.description, 'Running · np04');
    assert.doesNotMatch(other.contextValue, /in-session/);

    const pulling = summarizePod(pod('ru-02', 'felix-01', { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } } }] }));
    const q = presentPod('sim', 'felix-01', pulling, { state: 'none', fsm });
    assert.equal(q.description, 'ImagePullBackOff · none · np04 · ImagePullBackOff: Back-off pulling image "x"');
    assert.equal(q.icon, 'error', 'a pod in trouble keeps its own look whatever the FSM says');
  });

  it('contexts, this machine and messages', () => {
    const c = presentContext({ name: 'np04', server: 'https://10.0.0.1:6443', selected: true, state: 'ready', nodeCount: 3, readyCount: 2, podCount: 1 });
    assert.equal(c.description, 'selected · 2/3 nodes ready · 1 pod');
    assert.equal(c.collapsible, 'expanded');
    assert.equal(presentContext({ name: 'np04', selected: true, state: 'idle', collapsedByUser: true }).collapsible, 'collapsed', 'a refresh does not reopen what the user closed');
    assert.match(c.contextValue, /\bbaton\.context\b.*\bselected\b/);
    const e = presentContext({ name: 'lab', selected: false, state: 'error', error: 'forbidden: User "x" cannot list nodes' });
    assert.equal(e.description, 'unreachable');
    assert.match(e.contextValue, /\bcan-select\b.*\bin-error\b/);
    assert.equal(presentLocal('daq-01', { name: 'demo', appCount: 4 }).description, 'this machine · demo · 4 apps');
    assert.equal(presentLocal('daq-01', undefined).description, 'this machine · no local session');
    assert.equal(presentMessage('ctx/x/message/0', 'cannot reach cluster', 'error').icon, 'error');
  });

  it('copies a label as a nodeSelector that YAML reads back as the same string', () => {
    for (const [k, v] of [['felix.cern/card', 'true'], ['kubernetes.io/hostname', 'np04-srv-001'], ['rack', '007'], ['weird key', 'a: b']]) {
      const text = nodeSelectorSnippet(k, v);
      assert.deepEqual(parse(text), { nodeSelector: { [k]: v } }, text);
    }
    assert.equal(nodeSelectorSnippet('felix.cern/card', 'true'), 'nodeSelector: {felix.cern/card: "true"}');
  });

  it('lists 1,000 nodes with 10,000 pods through the index, every pod under its node', () => {
    const index = new ClusterIndex();
    index.replaceNodes(Array.from({ length: 1000 }, (_, i) => node(`node-${String(i).padStart(4, '0')}`)));
    index.replacePods(Array.from({ length: 10_000 }, (_, i) => pod(`app-${i}`, i % 10 === 9 ? undefined : `node-${String(i % 1000).padStart(4, '0')}`, RUNNING)));
    const { nodes, pods } = listClusterTree(index, 'big');
    assert.equal(nodes.length, 1000);
    assert.equal(pods.length, 10_000);
    assert.equal(index.podsOn('').length, 1000);
    assert.ok(nodes[0].description.endsWith('· 10 pods'), nodes[0].description);
    assert.equal(nodes[9].collapsible, 'none', 'node-0009 runs nothing: its pods are all unscheduled');
    assert.ok(pods.every((p) => p.id.startsWith('ctx/big/node/')));
  });
});
