import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { V1Node, V1Pod } from '../../../../src/core/backends/kubernetes/client';
import { ClusterIndex, ClusterInventory, summarizeNode, summarizePod, type InventoryChange } from '../../../../src/core/backends/kubernetes/cluster-inventory';
import { loadKubeAccess, type KubeAccess } from '../../../../src/core/backends/kubernetes/kube-access';
import { startSimCluster, type SimCluster } from '../../../support/kube-sim';

const NODE: V1Node = {
  metadata: { name: 'np04-srv-001', labels: { 'kubernetes.io/hostname': 'np04-srv-001', 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/readout': '', 'felix.cern/card': 'true' } },
  spec: { unschedulable: true, taints: [{ key: 'felix', value: 'only', effect: 'NoSchedule' }] },
  status: {
    allocatable: { cpu: '7800m', memory: '31Gi', pods: '110', 'ephemeral-storage': '100Gi', 'felix.cern/card': '2', 'hugepages-1Gi': '4Gi' },
    conditions: [
      { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy' },
      { type: 'MemoryPressure', status: 'True' },
      { type: 'DiskPressure', status: 'False' },
    ],
    addresses: [{ type: 'InternalIP', address: '10.0.0.11' }],
    nodeInfo: { kubeletVersion: 'v1.31.0' } as never,
  },
};

function pod(name: string, node: string | undefined, labels: Record<string, string> = {}, status: V1Pod['status'] = { phase: 'Pending' }): V1Pod {
  return { metadata: { name, namespace: 'np04', labels: { 'app.kubernetes.io/managed-by': 'baton', 'baton.dev/session': 'np04', 'baton.dev/app': name, ...labels } }, spec: { nodeName: node, containers: [{ name: 'app' }] }, status };
}

describe('cluster inventory: summaries and index (plain objects)', () => {
  it('summarises a node as the Clusters view and the checks read it', () => {
    const s = summarizeNode(NODE);
    assert.equal(s.name, 'np04-srv-001');
    assert.deepEqual(s.roles, ['control-plane', 'readout']);
    assert.equal(s.ready, false);
    assert.equal(s.notReadyReason, 'KubeletNotReady: PLEG is not healthy');
    assert.deepEqual(s.pressure, ['MemoryPressure']);
    assert.equal(s.unschedulable, true);
    assert.deepEqual(s.taints, [{ key: 'felix', value: 'only', effect: 'NoSchedule' }]);
    assert.equal(s.cpu, '7800m');
    assert.equal(s.memory, '31Gi');
    assert.deepEqual(s.extended, { 'felix.cern/card': '2', 'hugepages-1Gi': '4Gi' });
    assert.equal(s.allocatable['felix.cern/card'], '2');
    assert.equal(s.address, '10.0.0.11');
    assert.equal(s.kubeletVersion, 'v1.31.0');
    const bare = summarizeNode({ metadata: { name: 'x' } });
    assert.equal(bare.ready, false);
    assert.equal(bare.notReadyReason, 'no Ready condition reported');
    assert.deepEqual(bare.roles, []);
  });

  it('summarises a pod with kubectl status words, its session and application', () => {
    const p = summarizePod(pod('ru-01', undefined, {}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 node(s) didn\'t match Pod\'s node affinity/selector.' }] }));
    assert.equal(p.key, 'np04/ru-01');
    assert.equal(p.session, 'np04');
    assert.equal(p.app, 'ru-01');
    assert.equal(p.status, 'Pending');
    assert.match(p.problem!, /^Unschedulable: 0\/3 nodes are available/);
    assert.deepEqual(p.containers, ['app']);
  });

  it('indexes pods by node and moves them when they are scheduled or deleted', () => {
    const index = new ClusterIndex();
    index.replaceNodes([NODE, { metadata: { name: 'a' } }]);
    assert.deepEqual(index.nodeList().map((n) => n.name), ['a', 'np04-srv-001']);
    assert.deepEqual(index.applyPod('ADDED', pod('ru-02', undefined)), ['']);
    assert.deepEqual(index.podsOn('').map((p) => p.name), ['ru-02']);
    assert.deepEqual(index.applyPod('MODIFIED', pod('ru-02', 'a')).sort(), ['', 'a']);
    assert.equal(index.podCount(''), 0);
    index.applyPod('ADDED', pod('ru-01', 'a'));
    assert.deepEqual(index.podsOn('a').map((p) => p.name), ['ru-01', 'ru-02']);
    assert.deepEqual(index.applyPod('DELETED', pod('ru-02', 'a')), ['a']);
    assert.deepEqual(index.podsOn('a').map((p) => p.name), ['ru-01']);
    assert.equal(index.podTotal, 1);
    index.applyNode('DELETED', { metadata: { name: 'a' } });
    assert.deepEqual(index.nodeList().map((n) => n.name), ['np04-srv-001']);
  });
});

describe('cluster inventory against the simulated cluster', function () {
  this.timeout(30_000);
  let sim: SimCluster | undefined;
  let dir: string;
  let access: KubeAccess;
  const inventories: ClusterInventory[] = [];

  const inventory = (a: KubeAccess = access, more: { requestTimeoutMs?: number } = {}) => {
    const inv = new ClusterInventory({ access: a, coalesceMs: 10, retryMs: 50, maxRetryMs: 200, ...more });
    inventories.push(inv);
    return inv;
  };

  /** Resolves with the first coalesced change after which `ok` holds. */
  const until = (inv: ClusterInventory, ok: () => boolean, what: string): Promise<InventoryChange[]> =>
    new Promise((resolve) => {
      const seen: InventoryChange[] = [];
      if (ok()) return resolve(seen);
      const off = inv.onDidChange((c) => {
        seen.push(c);
        if (ok()) {
          off();
          resolve(seen);
        }
      });
      void what;
    });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-inventory-'));
    sim = await startSimCluster({
      nodes: [
        { name: 'felix-01', labels: { 'felix.cern/card': 'true', 'node-role.kubernetes.io/readout': '' }, allocatable: { cpu: '16', memory: '64Gi', pods: '110', 'felix.cern/card': '1' } },
        { name: 'felix-02', labels: { 'felix.cern/card': 'true' }, allocatable: { cpu: '16', memory: '64Gi', pods: '110', 'felix.cern/card': '1' }, taints: [{ key: 'felix', effect: 'NoSchedule' }] },
        { name: 'storage-01', labels: { storage: 'ssd' } },
      ],
    });
    sim.writeKubeconfig(path.join(dir, 'admin'), { context: 'sim' });
    sim.writeKubeconfig(path.join(dir, 'forbidden'), { context: 'sim-ro', user: 'forbidden' });
    access = loadKubeAccess({ kubeconfig: path.join(dir, 'admin'), env: {} });
    await access.core().createNamespace({ body: { metadata: { name: 'np04', labels: { 'app.kubernetes.io/managed-by': 'baton' } } } });
  });

  afterEach(() => {
    for (const inv of inventories.splice(0)) inv.dispose();
  });

  after(async () => {
    await sim?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists nodes with labels, roles, taints and allocatable; pods only once asked', async () => {
    const inv = inventory();
    await inv.watchNodes();
    assert.equal(inv.nodeState.kind, 'ready');
    assert.equal(inv.podState.kind, 'idle');
    const nodes = inv.index.nodeList();
    assert.deepEqual(nodes.map((n) => n.name), ['felix-01', 'felix-02', 'storage-01']);
    assert.deepEqual(nodes[0].roles, ['readout']);
    assert.equal(nodes[0].extended['felix.cern/card'], '1');
    assert.deepEqual(nodes[1].taints, [{ key: 'felix', effect: 'NoSchedule' }]);
    assert.ok(nodes.every((n) => n.ready));
    const before = sim!.requests.byKind();
    assert.equal(before['list pods'] ?? 0, 0, 'no pod request before pods are asked for');
    await inv.watchPods();
    assert.equal(inv.podState.kind, 'ready');
    assert.equal(inv.index.podTotal, 0);
  });

  it('follows a Baton pod from Pending to its node with kubectl\'s status words, and ignores pods of others', async () => {
    const inv = inventory();
    await Promise.all([inv.watchNodes(), inv.watchPods()]);
    const core = access.core();
    await core.createNamespacedPod({ namespace: 'np04', body: { metadata: { name: 'other' }, spec: { containers: [{ name: 'c', image: 'nope:1' }] } } });
    await core.createNamespacedPod({
      namespace: 'np04',
      body: {
        metadata: { name: 'ru-01', labels: { 'app.kubernetes.io/managed-by': 'baton', 'baton.dev/session': 'np04', 'baton.dev/app': 'ru-01' } },
        spec: { restartPolicy: 'Never', nodeSelector: { storage: 'ssd' }, containers: [{ name: 'app', image: 'registry.example/unpullable:1' }] },
      },
    });
    await until(inv, () => inv.index.podsOn('storage-01').some((p) => p.status === 'ImagePullBackOff' || p.status === 'ErrImagePull'), 'pull failure');
    const p = inv.index.podsOn('storage-01')[0];
    assert.equal(p.app, 'ru-01');
    assert.equal(p.session, 'np04');
    assert.match(p.problem!, /^(ErrImagePull|ImagePullBackOff):/);
    assert.equal(inv.index.podTotal, 1, 'the pod without Baton labels is not watched');

    await core.createNamespacedPod({
      namespace: 'np04',
      body: {
        metadata: { name: 'ru-02', labels: { 'app.kubernetes.io/managed-by': 'baton', 'baton.dev/session': 'np04', 'baton.dev/app': 'ru-02' } },
        spec: { restartPolicy: 'Never', nodeSelector: { 'felix.cern/card': 'none' }, containers: [{ name: 'app', image: 'daq-app:1' }] },
      },
    });
    await until(inv, () => inv.index.podsOn('').some((x) => x.name === 'ru-02' && x.problem !== undefined), 'unschedulable');
    const pending = inv.index.podsOn('')[0];
    assert.equal(pending.status, 'Pending');
    assert.match(pending.problem!, /^Unschedulable: 0\/3 nodes are available/);
    await core.deleteNamespacedPod({ name: 'ru-02', namespace: 'np04', gracePeriodSeconds: 0 });
    await until(inv, () => inv.index.podCount('') === 0, 'deleted');
  });

  it('sees a node go NotReady through the watch, and keeps watching across dropped watches and 410 Gone', async () => {
    const inv = inventory();
    await inv.watchNodes();
    inv.flush();
    const lists = () => sim!.requests.byKind()['list nodes'] ?? 0;
    const listed = lists();
    sim!.faults.setNodeReady('storage-01', false);
    const changes = await until(inv, () => inv.index.nodes.get('storage-01')?.ready === false, 'NotReady');
    assert.ok(changes.some((c) => c.nodes !== 'all' && c.nodes.has('storage-01')));
    assert.equal(lists(), listed, 'a watch event, not a new list');

    sim!.faults.dropWatches();
    sim!.faults.setNodeReady('storage-01', true);
    await until(inv, () => inv.index.nodes.get('storage-01')?.ready === true, 'Ready again after a dropped watch');

    sim!.faults.compactHistory();
    sim!.faults.dropWatches();
    sim!.addNode({ name: 'late-01', labels: { late: 'yes' } });
    await until(inv, () => inv.index.nodes.has('late-01'), 'node added across a 410');
    assert.equal(inv.nodeState.kind, 'ready');
    assert.equal(lists(), listed + 1, 'one fresh list after 410 Gone');
  });

  it('reports Forbidden plainly and an unreachable cluster within the request timeout', async () => {
    const ro = loadKubeAccess({ kubeconfig: path.join(dir, 'forbidden'), env: {} });
    const inv = inventory(ro);
    await inv.watchNodes();
    assert.equal(inv.nodeState.kind, 'error');
    assert.match((inv.nodeState as { message: string }).message, /^forbidden: .*nodes.*\(while trying to list nodes\)$/);

    // A context whose server refuses connections: a closed port on loopback.
    const file = path.join(dir, 'closed');
    fs.writeFileSync(file, fs.readFileSync(path.join(dir, 'admin'), 'utf8').replace(sim!.url, 'http://127.0.0.1:1'));
    const closed = loadKubeAccess({ kubeconfig: file, env: {} });
    const down = inventory(closed, { requestTimeoutMs: 2000 });
    await down.watchNodes();
    assert.equal(down.nodeState.kind, 'error');
    assert.match((down.nodeState as { message: string }).message, /cannot reach cluster "sim" at http:\/\/127\.0\.0\.1:1: connection refused/);
  });

  it('stops every request when disposed', async () => {
    const inv = inventory();
    await Promise.all([inv.watchNodes(), inv.watchPods()]);
    inv.dispose();
    // Watch requests already on their way when disposed may still arrive; they are aborted on arrival.
    await new Promise((r) => setTimeout(r, 200));
    sim!.requests.reset();
    sim!.faults.setNodeReady('felix-01', false);
    await new Promise((r) => setTimeout(r, 300));
    sim!.faults.setNodeReady('felix-01', true);
    assert.deepEqual(sim!.requests.byKind(), {});
  });
});
