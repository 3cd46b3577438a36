import assert from 'node:assert/strict';
import { startSimCluster, type SimCluster } from '../../support/kube-sim';
import { api, daqPod, openWatch, waitFor, type WatchStream } from './helpers';

describe('kube-sim watch', () => {
  let cluster: SimCluster;
  const streams: WatchStream[] = [];
  beforeEach(async () => {
    cluster = await startSimCluster({ nodes: 1, images: () => false });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await cluster.stop();
  });
  const watch = async (path: string, headers?: Record<string, string>): Promise<WatchStream> => {
    const s = await openWatch(cluster, path, headers);
    streams.push(s);
    return s;
  };
  const label = (l: string) => async (): Promise<void> => {
    await api(cluster, 'PATCH', `/api/v1/namespaces/default/pods/a`, { metadata: { labels: { tier: l } } }, { 'content-type': 'application/merge-patch+json' });
  };

  it('from a list resourceVersion: only later changes, in order', async () => {
    await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'));
    const rv = (await api(cluster, 'GET', '/api/v1/namespaces/default/pods')).body.metadata.resourceVersion;
    const w = await watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('b'));
    await waitFor('ADDED b', () => w.events.find((e) => e.type === 'ADDED'));
    assert.equal(w.events.filter((e) => e.type === 'ADDED').length, 1, 'a, created before rv, is not replayed');
    // (a may still show up as MODIFIED: the scheduler and kubelet keep changing it)
    assert.equal(w.events.find((e) => e.type === 'ADDED')!.object.metadata.name, 'b');
    // every event carries a newer resourceVersion than the one before
    await api(cluster, 'DELETE', '/api/v1/namespaces/default/pods/b');
    await waitFor('DELETED b', () => w.events.find((e) => e.type === 'DELETED'));
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual(rvs, [...rvs].sort((x, y) => x - y));
  });

  it('without resourceVersion: ADDED for what exists, then changes', async () => {
    await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'));
    const w = await watch('/api/v1/namespaces/default/pods?watch=1');
    await waitFor('initial ADDED', () => w.events.length >= 1);
    assert.equal(w.events[0].type, 'ADDED');
    assert.equal(w.events[0].object.metadata.name, 'a');
  });

  it('a label selector turns objects entering and leaving it into ADDED and DELETED', async () => {
    await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a', { labels: { tier: 'x' } }));
    const rv = cluster.store.get('pods', 'default', 'a').metadata.resourceVersion;
    const w = await watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}&labelSelector=tier%3Dreadout`);
    await label('readout')();
    await waitFor('ADDED', () => w.events.some((e) => e.type === 'ADDED'));
    await label('dataflow')();
    await waitFor('DELETED', () => w.events.some((e) => e.type === 'DELETED'));
    assert.deepEqual(
      w.events.map((e) => e.type),
      ['ADDED', 'DELETED'],
    );
  });

  it('a field selector on spec.nodeName sees pods bound to that node', async () => {
    const w = await watch('/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dnode-0');
    await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'));
    const ev = await waitFor('bound pod', () => w.events.find((e) => e.type === 'ADDED'));
    assert.equal(ev.object.spec.nodeName, 'node-0', 'it appears once bound, not when created');
  });

  it('after compactHistory a watch from an older resourceVersion gets 410 Gone', async () => {
    const rv = (await api(cluster, 'GET', '/api/v1/namespaces/default/pods')).body.metadata.resourceVersion;
    await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'));
    cluster.faults.compactHistory();
    const w = await watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    await w.ended;
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0].type, 'ERROR');
    assert.equal(w.events[0].object.code, 410);
    assert.equal(w.events[0].object.reason, 'Expired');
    assert.match(w.events[0].object.message, /^too old resource version: \d+ \(\d+\)$/);
    // a fresh list gives a resourceVersion that can be watched again
    const rv2 = (await api(cluster, 'GET', '/api/v1/namespaces/default/pods')).body.metadata.resourceVersion;
    const w2 = await watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv2}`);
    await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('b'));
    await waitFor('ADDED b', () => w2.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'b'));
  });

  it('dropWatches ends every open stream; timeoutSeconds ends one', async () => {
    const a = await watch('/api/v1/pods?watch=true');
    const b = await watch('/api/v1/nodes?watch=true');
    await waitFor('registered', () => cluster.openWatches() === 2);
    cluster.faults.dropWatches();
    await Promise.all([a.ended, b.ended]);
    await waitFor('none open', () => cluster.openWatches() === 0);
    const t = await watch('/api/v1/pods?watch=true&timeoutSeconds=1');
    await t.ended;
  });

  it('serves one-row Tables to kubectl-style watches', async () => {
    const w = await watch('/api/v1/namespaces/default/pods?watch=true', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'));
    const ev = await waitFor('ADDED', () => w.events.find((e) => e.type === 'ADDED'));
    assert.equal(ev.object.kind, 'Table');
    assert.equal(ev.object.rows.length, 1);
    assert.equal(ev.object.rows[0].cells[0], 'a');
    assert.equal(ev.object.rows[0].cells[2], 'Pending');
  });
});
