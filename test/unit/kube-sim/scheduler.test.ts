import assert from 'node:assert/strict';
import { startSimCluster, type SimCluster } from '../../support/kube-sim';
import { schedule } from '../../support/kube-sim/scheduler';
import { api, condition, daqPod, waitFor } from './helpers';

/* eslint-disable @typescript-eslint/no-explicit-any */

function node(name: string, o: { labels?: Record<string, string>; allocatable?: Record<string, string>; taints?: any[]; unschedulable?: boolean } = {}): any {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { allocatable: { cpu: '16', memory: '64Gi', pods: '110', ...(o.allocatable ?? {}) } },
  };
}

let uid = 0;
function pod(name: string, spec: any = {}, labels: Record<string, string> = {}, nodeName?: string): any {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${++uid}`, labels: { app: name, ...labels } },
    spec: { containers: [{ name: 'c', image: 'x' }], ...spec, ...(nodeName ? { nodeName } : {}) },
    status: { phase: nodeName ? 'Running' : 'Pending' },
  };
}

const req = (r: Record<string, string>): any => ({ containers: [{ name: 'c', image: 'x', resources: { requests: r } }] });
const nodeOf = (r: any): string => {
  assert.ok('node' in r, `expected a node, got: ${(r as { message?: string }).message}`);
  return r.node;
};
const messageOf = (r: any): string => {
  assert.ok('message' in r, `expected no node, got ${r.node}`);
  return r.message;
};

describe('kube-sim scheduler', () => {
  it('nodeSelector picks the labelled node; no match gives the scheduler message', () => {
    const nodes = [node('a'), node('b', { labels: { 'felix.cern/card': 'true' } }), node('c')];
    assert.equal(nodeOf(schedule(pod('p', { nodeSelector: { 'felix.cern/card': 'true' } }), nodes, [])), 'b');
    assert.equal(
      messageOf(schedule(pod('p', { nodeSelector: { disk: 'ssd' } }), nodes, [])),
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it('required node affinity operators In, NotIn, Exists, DoesNotExist, Gt, Lt; terms are ORed', () => {
    const nodes = [node('a', { labels: { rack: '1', cores: '8' } }), node('b', { labels: { rack: '2', cores: '64', gpu: 'yes' } })];
    const aff = (...terms: any[]): any => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    const on = (...terms: any[]): string | undefined => {
      const r = schedule(pod('p', aff(...terms)), nodes, []);
      return 'node' in r ? r.node : undefined;
    };
    assert.equal(on({ matchExpressions: [{ key: 'rack', operator: 'In', values: ['2'] }] }), 'b');
    assert.equal(on({ matchExpressions: [{ key: 'rack', operator: 'NotIn', values: ['2'] }] }), 'a');
    assert.equal(on({ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }), 'b');
    assert.equal(on({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }), 'a');
    assert.equal(on({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['16'] }] }), 'b');
    assert.equal(on({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['16'] }] }), 'a');
    assert.equal(on({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['100'] }] }), undefined);
    assert.equal(on({ matchExpressions: [{ key: 'rack', operator: 'In', values: ['9'] }] }, { matchExpressions: [{ key: 'rack', operator: 'In', values: ['1'] }] }), 'a');
    assert.equal(on({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }), 'b');
  });

  it('preferred node affinity wins among nodes that fit', () => {
    const nodes = [node('a'), node('b', { labels: { fast: 'yes' } }), node('c')];
    const spec = { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'fast', operator: 'In', values: ['yes'] }] } }] } } };
    assert.equal(nodeOf(schedule(pod('p', spec), nodes, [])), 'b');
  });

  it('taints keep pods off unless tolerated; PreferNoSchedule only repels', () => {
    const nodes = [node('a', { taints: [{ key: 'dedicated', value: 'daq', effect: 'NoSchedule' }] }), node('b', { taints: [{ key: 'slow', effect: 'PreferNoSchedule' }] })];
    assert.equal(nodeOf(schedule(pod('p'), nodes, [])), 'b');
    assert.equal(nodeOf(schedule(pod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'daq', effect: 'NoSchedule' }] }), nodes, [])), 'a');
    assert.equal(
      messageOf(schedule(pod('p'), [nodes[0]], [])),
      '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: daq}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
    assert.equal(nodeOf(schedule(pod('p', { tolerations: [{ operator: 'Exists' }] }), [nodes[0]], [])), 'a');
  });

  it('resource requests count what bound pods already request, extended resources included', () => {
    const nodes = [node('a', { allocatable: { 'felix.cern/card': '1' } }), node('b', { allocatable: { cpu: '2' } })];
    const bound = [pod('x', req({ 'felix.cern/card': '1' }), {}, 'a')];
    const r = schedule(pod('p', req({ 'felix.cern/card': '1' })), nodes, bound);
    assert.equal(
      messageOf(r),
      '0/2 nodes are available: 2 Insufficient felix.cern/card. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
    // a finished pod no longer holds its card
    bound[0].status.phase = 'Succeeded';
    assert.equal(nodeOf(schedule(pod('p', req({ 'felix.cern/card': '1' })), nodes, bound)), 'a');
    assert.equal(nodeOf(schedule(pod('p', req({ cpu: '1500m', memory: '1Gi' })), [nodes[1]], [])), 'b');
    assert.match(messageOf(schedule(pod('p', req({ cpu: '3' })), [nodes[1]], [])), /1 Insufficient cpu\./);
  });

  it('mixed reasons are counted and sorted like the real scheduler', () => {
    const nodes = [node('a'), node('b'), node('c'), node('d', { labels: { card: 'y' } }), node('e', { labels: { card: 'y' } })];
    const p = pod('p', { nodeSelector: { card: 'y' }, containers: [{ name: 'c', image: 'x', resources: { requests: { 'felix.cern/card': '1' } } }] });
    assert.equal(
      messageOf(schedule(p, nodes, [])),
      "0/5 nodes are available: 2 Insufficient felix.cern/card, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.",
    );
  });

  it('pod anti-affinity keeps apart, pod affinity brings together, by topology key', () => {
    const nodes = [node('a', { labels: { zone: 'z1' } }), node('b', { labels: { zone: 'z1' } }), node('c', { labels: { zone: 'z2' } })];
    const bound = [pod('ru-1', {}, { role: 'ru' }, 'a')];
    const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { role: 'ru' } }, topologyKey: 'zone' }] } } };
    assert.equal(nodeOf(schedule(pod('ru-2', anti, { role: 'ru' }), nodes, bound)), 'c');
    const host = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { role: 'ru' } }, topologyKey: 'kubernetes.io/hostname' }] } } };
    assert.notEqual(nodeOf(schedule(pod('ru-2', host, { role: 'ru' }), nodes, bound)), 'a');
    const together = { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'ru-1' } }, topologyKey: 'kubernetes.io/hostname' }] } } };
    assert.equal(nodeOf(schedule(pod('df', together), nodes, bound)), 'a');
    const nowhere = { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'ghost' } }, topologyKey: 'zone' }] } } };
    assert.match(messageOf(schedule(pod('df', nowhere), nodes, bound)), /3 node\(s\) didn't match pod affinity rules/);
    // an existing pod's anti-affinity also keeps newcomers away
    const guard = pod('guard', host, {}, 'c');
    const r = schedule(pod('p', {}, { role: 'ru' }), [nodes[2]], [guard]);
    assert.match(messageOf(r), /1 node\(s\) didn't satisfy existing pods anti-affinity rules/);
  });

  it('unschedulable nodes are skipped unless tolerated', () => {
    assert.match(messageOf(schedule(pod('p'), [node('a', { unschedulable: true })], [])), /1 node\(s\) were unschedulable/);
  });

  describe('in the cluster', () => {
    let cluster: SimCluster;
    afterEach(async () => cluster?.stop());

    it('an unschedulable pod gets the condition and a FailedScheduling event, and is bound once a node fits', async () => {
      // images that cannot be pulled: the kubelet starts no process in this test
      cluster = await startSimCluster({ nodes: 2, images: () => false });
      const p = daqPod('ru-01', { spec: { nodeSelector: { 'felix.cern/card': 'true' } } });
      assert.equal((await api(cluster, 'POST', '/api/v1/namespaces/default/pods', p)).status, 201);
      const pending = await waitFor('Unschedulable', () => {
        const c = condition(cluster.store.get('pods', 'default', 'ru-01'), 'PodScheduled');
        return c?.reason === 'Unschedulable' && c;
      });
      assert.equal(pending.status, 'False');
      assert.equal(pending.message, "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
      const events = (await api(cluster, 'GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dru-01')).body.items;
      assert.deepEqual(
        events.map((e: any) => [e.type, e.reason, e.source.component]),
        [['Warning', 'FailedScheduling', 'default-scheduler']],
      );
      cluster.addNode({ name: 'felix-0', labels: { 'felix.cern/card': 'true' } });
      await waitFor('bound to felix-0', () => cluster.store.get('pods', 'default', 'ru-01').spec.nodeName === 'felix-0');
      await waitFor('ErrImagePull', () => cluster.store.get('pods', 'default', 'ru-01').status.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull');
    });

    it('a pending pod is bound once a deleted pod frees the extended resource it needs', async () => {
      cluster = await startSimCluster({ nodes: [{ name: 'felix-0', allocatable: { 'felix.cern/card': '1' } }], images: () => false });
      const withCard = (name: string): any => {
        const p = daqPod(name);
        p.spec.containers[0].resources = { requests: { 'felix.cern/card': '1' }, limits: { 'felix.cern/card': '1' } };
        return p;
      };
      await api(cluster, 'POST', '/api/v1/namespaces/default/pods', withCard('ru-01'));
      await waitFor('ru-01 bound', () => cluster.store.get('pods', 'default', 'ru-01').spec.nodeName);
      await api(cluster, 'POST', '/api/v1/namespaces/default/pods', withCard('ru-02'));
      const c = await waitFor('ru-02 unschedulable', () => condition(cluster.store.get('pods', 'default', 'ru-02'), 'PodScheduled'));
      assert.equal(c.message, '0/1 nodes are available: 1 Insufficient felix.cern/card. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
      await api(cluster, 'DELETE', '/api/v1/namespaces/default/pods/ru-01');
      await waitFor('ru-02 bound', () => cluster.store.get('pods', 'default', 'ru-02').spec.nodeName === 'felix-0');
    });

    it('a NotReady node takes no new pods', async () => {
      cluster = await startSimCluster({ nodes: 1, images: () => false });
      cluster.faults.setNodeReady('node-0', false);
      await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('p'));
      const c = await waitFor('Unschedulable', () => condition(cluster.store.get('pods', 'default', 'p'), 'PodScheduled'));
      assert.match(c.message, /1 node\(s\) had untolerated taint \{node.kubernetes.io\/not-ready: \}/);
      cluster.faults.setNodeReady('node-0', true);
      await waitFor('bound', () => cluster.store.get('pods', 'default', 'p').spec.nodeName === 'node-0');
    });
  });
});
