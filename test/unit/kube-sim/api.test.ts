import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSimCluster, type SimCluster } from '../../support/kube-sim';
import { api, daqPod, waitFor } from './helpers';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('kube-sim API server', () => {
  let cluster: SimCluster;
  // No pulls succeed here: objects are created and scheduled, but no process starts.
  beforeEach(async () => {
    cluster = await startSimCluster({ nodes: 2, images: () => false });
  });
  afterEach(async () => cluster.stop());

  it('serves discovery and binds to loopback', async () => {
    assert.match(cluster.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await api(cluster, 'GET', '/version')).body.major, '1');
    // kubectl 1.32 asks for aggregated discovery first; a plain APIVersions makes it fall back
    const aggregated = await api(cluster, 'GET', '/api', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    assert.equal(aggregated.headers['content-type'], 'application/json');
    assert.equal(aggregated.body.kind, 'APIVersions');
    assert.deepEqual(aggregated.body.versions, ['v1']);
    const v1 = (await api(cluster, 'GET', '/api/v1')).body;
    assert.equal(v1.kind, 'APIResourceList');
    assert.ok(v1.resources.some((r: any) => r.name === 'pods/log'));
    assert.equal((await api(cluster, 'GET', '/apis')).body.kind, 'APIGroupList');
    assert.equal((await api(cluster, 'GET', '/api/v1/nosuch')).status, 404);
  });

  it('fills server-side defaults on create', async () => {
    await api(cluster, 'POST', '/api/v1/namespaces', { metadata: { name: 'run' } });
    const ns = (await api(cluster, 'GET', '/api/v1/namespaces/run')).body;
    assert.equal(ns.status.phase, 'Active');
    assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'run');
    const pod = (await api(cluster, 'POST', '/api/v1/namespaces/run/pods', { metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'img' }] } })).body;
    assert.match(pod.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(pod.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(pod.metadata.resourceVersion, /^\d+$/);
    assert.equal(pod.metadata.generation, 1);
    assert.equal(pod.spec.restartPolicy, 'Always');
    assert.equal(pod.spec.terminationGracePeriodSeconds, 30);
    assert.equal(pod.spec.dnsPolicy, 'ClusterFirst');
    assert.equal(pod.spec.schedulerName, 'default-scheduler');
    assert.equal(pod.spec.containers[0].terminationMessagePath, '/dev/termination-log');
    assert.equal(pod.spec.containers[0].imagePullPolicy, 'Always');
    assert.equal(pod.status.phase, 'Pending');
    const svc = (await api(cluster, 'POST', '/api/v1/namespaces/run/services', { metadata: { name: 'a' }, spec: { selector: { app: 'a' }, ports: [{ port: 3333 }] } })).body;
    assert.match(svc.spec.clusterIP, /^10\.96\.\d+\.\d+$/);
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.equal(svc.spec.ports[0].targetPort, 3333);
    assert.equal(svc.spec.ports[0].protocol, 'TCP');
    const other = (await api(cluster, 'POST', '/api/v1/namespaces/run/services', { metadata: { name: 'b' }, spec: { ports: [{ port: 1 }] } })).body;
    assert.notEqual(other.spec.clusterIP, svc.spec.clusterIP);
  });

  it('answers errors with Status bodies like the real API server', async () => {
    const missing = await api(cluster, 'GET', '/api/v1/namespaces/default/pods/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404 });

    const nons = await api(cluster, 'POST', '/api/v1/namespaces/ghost/pods', daqPod('a'));
    assert.equal(nons.status, 404);
    assert.equal(nons.body.message, 'namespaces "ghost" not found');

    assert.equal((await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'))).status, 201);
    const dup = await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.equal(dup.body.message, 'pods "a" already exists');

    const bad = await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('Bad_Name'));
    assert.equal(bad.status, 422);
    assert.equal(bad.body.reason, 'Invalid');
    assert.match(bad.body.message, /^Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
    assert.equal(bad.body.details.causes[0].field, 'metadata.name');

    const nsBad = await api(cluster, 'POST', '/api/v1/namespaces', { metadata: { name: 'a.b' } });
    assert.equal(nsBad.status, 422);
    assert.match(nsBad.body.message, /RFC 1123 label/);

    const noImage = await api(cluster, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'x' }, spec: { containers: [{ name: 'c' }] } });
    assert.equal(noImage.status, 422);
    assert.equal(noImage.body.message, 'Pod "x" is invalid: spec.containers[0].image: Required value');

    const stale = await api(cluster, 'PUT', '/api/v1/namespaces/default/pods/a', { ...daqPod('a'), metadata: { name: 'a', resourceVersion: '1' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');

    const sel = await api(cluster, 'GET', '/api/v1/pods?fieldSelector=spec.image%3Dx');
    assert.equal(sel.status, 400);
    assert.equal(sel.body.message, 'field label not supported: spec.image');
  });

  it('lists with label and field selectors, pages with limit/continue', async () => {
    for (const [name, tier] of [
      ['ru-1', 'readout'],
      ['ru-2', 'readout'],
      ['df-1', 'dataflow'],
    ])
      await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod(name, { labels: { tier } }));
    const names = async (q: string): Promise<string[]> => (await api(cluster, 'GET', `/api/v1/namespaces/default/pods?${q}`)).body.items.map((p: any) => p.metadata.name);
    assert.deepEqual(await names('labelSelector=tier%3Dreadout'), ['ru-1', 'ru-2']);
    assert.deepEqual(await names('labelSelector=tier%20notin%20(readout)'), ['df-1']);
    assert.deepEqual(await names('fieldSelector=metadata.name%3Ddf-1'), ['df-1']);
    await waitFor('all bound', () => cluster.store.list('pods').every((p) => p.spec.nodeName));
    const onNode0 = cluster.store.list('pods').filter((p) => p.spec.nodeName === 'node-0').map((p) => p.metadata.name).sort();
    assert.deepEqual(await names('fieldSelector=spec.nodeName%3Dnode-0'), onNode0);
    const page1 = (await api(cluster, 'GET', '/api/v1/namespaces/default/pods?limit=2')).body;
    assert.equal(page1.items.length, 2);
    assert.equal(page1.metadata.remainingItemCount, 1);
    const page2 = (await api(cluster, 'GET', `/api/v1/namespaces/default/pods?limit=2&continue=${page1.metadata.continue}`)).body;
    assert.deepEqual(page2.items.map((p: any) => p.metadata.name), ['ru-2']);
    assert.equal(page2.metadata.continue, undefined);
    const list = (await api(cluster, 'GET', '/api/v1/pods')).body;
    assert.equal(list.kind, 'PodList');
    assert.match(list.metadata.resourceVersion, /^\d+$/);
  });

  it('patches with merge, strategic merge and JSON patch', async () => {
    await api(cluster, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 's', labels: { a: '1' } }, spec: { ports: [{ name: 'cmd', port: 3333 }] } });
    const merge = await api(cluster, 'PATCH', '/api/v1/namespaces/default/services/s', { metadata: { labels: { b: '2', a: null } } }, { 'content-type': 'application/merge-patch+json' });
    assert.deepEqual(merge.body.metadata.labels, { b: '2' });
    const smp = await api(cluster, 'PATCH', '/api/v1/namespaces/default/services/s', { spec: { ports: [{ name: 'data', port: 5000 }] } }, { 'content-type': 'application/strategic-merge-patch+json' });
    assert.deepEqual(smp.body.spec.ports.map((p: any) => p.port), [3333, 5000]);
    const jp = await api(cluster, 'PATCH', '/api/v1/namespaces/default/services/s', [{ op: 'replace', path: '/metadata/labels/b', value: '3' }], { 'content-type': 'application/json-patch+json' });
    assert.equal(jp.body.metadata.labels.b, '3');
    const pod = await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('p'));
    const forbidden = await api(cluster, 'PATCH', '/api/v1/namespaces/default/pods/p', { spec: { restartPolicy: 'Always' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(forbidden.status, 422);
    assert.match(forbidden.body.message, /spec: Forbidden: pod updates may not change fields other than/);
    assert.equal(pod.status, 201);
  });

  it('deletes a namespace with everything in it', async () => {
    await api(cluster, 'POST', '/api/v1/namespaces', { metadata: { name: 'run' } });
    await api(cluster, 'POST', '/api/v1/namespaces/run/pods', daqPod('a'));
    await api(cluster, 'POST', '/api/v1/namespaces/run/services', { metadata: { name: 'a' }, spec: { ports: [{ port: 1 }] } });
    const del = await api(cluster, 'DELETE', '/api/v1/namespaces/run');
    assert.equal(del.status, 200);
    await waitFor('namespace gone', () => !cluster.store.get('namespaces', undefined, 'run'));
    assert.equal(cluster.store.list('pods', 'run').length, 0);
    assert.equal(cluster.store.list('services', 'run').length, 0);
  });

  it('deletecollection removes the pods a label selector matches', async () => {
    for (const n of ['a', 'b', 'c']) await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod(n, { labels: { group: n === 'c' ? 'other' : 'mine' } }));
    const r = await api(cluster, 'DELETE', '/api/v1/namespaces/default/pods?labelSelector=group%3Dmine');
    assert.equal(r.status, 200);
    await waitFor('two gone', () => cluster.store.list('pods', 'default').length === 1);
    assert.equal(cluster.store.list('pods', 'default')[0].metadata.name, 'c');
  });

  it('counts requests by verb and resource', async () => {
    cluster.requests.reset();
    await api(cluster, 'GET', '/api/v1/namespaces/default/pods');
    await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'));
    await api(cluster, 'GET', '/api/v1/namespaces/default/pods/a/log');
    assert.deepEqual(cluster.requests.byKind(), { 'list pods': 1, 'create pods': 1, 'get pods/log': 1 });
    assert.equal(cluster.requests.total(), 3);
  });

  describe('faults', () => {
    it('failNext answers the next matching requests with Status errors', async () => {
      cluster.faults.failNext(2, 500, { verb: 'create', resource: 'pods' });
      cluster.faults.failNext(1, 409, { verb: 'list' });
      const a = await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'));
      assert.equal(a.status, 500);
      assert.equal(a.body.reason, 'InternalError');
      assert.equal((await api(cluster, 'GET', '/api/v1/namespaces/default/pods/x')).status, 404, 'other verbs unaffected');
      assert.equal((await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'))).status, 500);
      assert.equal((await api(cluster, 'POST', '/api/v1/namespaces/default/pods', daqPod('a'))).status, 201);
      const l = await api(cluster, 'GET', '/api/v1/nodes');
      assert.equal(l.status, 409);
      assert.equal(l.body.reason, 'Conflict');
      cluster.faults.failNext(1, 503);
      assert.equal((await api(cluster, 'GET', '/api/v1/nodes')).status, 503);
      assert.equal((await api(cluster, 'GET', '/api/v1/nodes')).status, 200);
    });

    it('forbid answers 403 with an RBAC-style message; the forbidden user gets 403 everywhere', async () => {
      cluster.faults.forbid('nodes', 'list');
      const r = await api(cluster, 'GET', '/api/v1/nodes');
      assert.equal(r.status, 403);
      assert.equal(r.body.message, 'nodes is forbidden: User "sim-admin" cannot list resource "nodes" in API group "" at the cluster scope');
      assert.equal((await api(cluster, 'GET', '/api/v1/nodes/node-0')).status, 200);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sim-'));
      try {
        const file = path.join(dir, 'kubeconfig');
        cluster.writeKubeconfig(file, { user: 'forbidden', namespace: 'default' });
        const token = /token: "([0-9a-f]+)"/.exec(fs.readFileSync(file, 'utf8'))?.[1];
        const f = await api(cluster, 'GET', '/api/v1/namespaces/default/pods', undefined, { authorization: `Bearer ${token}` });
        assert.equal(f.status, 403);
        assert.equal(f.body.message, 'pods is forbidden: User "sim-forbidden" cannot list resource "pods" in API group "" in the namespace "default"');
        assert.equal((await api(cluster, 'GET', '/api/v1/pods', undefined, { authorization: 'Bearer wrong' })).status, 401);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('delay slows matching responses down', async () => {
      cluster.faults.delay(2000, { verb: 'list', resource: 'nodes' });
      let fast = false;
      const slow = api(cluster, 'GET', '/api/v1/nodes').then(() => assert.equal(fast, true, 'the unmatched request finished first'));
      await api(cluster, 'GET', '/api/v1/namespaces');
      fast = true;
      await slow;
      cluster.faults.delay(0);
    });

    it('restartApiServer refuses connections while down and keeps the store', async () => {
      await api(cluster, 'POST', '/api/v1/namespaces', { metadata: { name: 'kept' } });
      const url = cluster.url;
      const restarted = cluster.faults.restartApiServer(2000);
      await new Promise((r) => setTimeout(r, 50));
      await assert.rejects(api(cluster, 'GET', '/version'), /ECONNREFUSED/);
      await restarted;
      assert.equal(cluster.url, url);
      assert.equal((await api(cluster, 'GET', '/api/v1/namespaces/kept')).status, 200);
    });

    it('stop() during a restart keeps the server down', async () => {
      const restarted = cluster.faults.restartApiServer(200);
      await cluster.stop();
      await restarted;
      await assert.rejects(api(cluster, 'GET', '/version'), /ECONNREFUSED/);
    });
  });
});
