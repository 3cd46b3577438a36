import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { startSimCluster, type SimCluster } from '../../support/kube-sim';
import { daqPod, waitFor } from './helpers';

/* eslint-disable @typescript-eslint/no-explicit-any */

// @kubernetes/client-node is ESM-only; Node >= 20.19 can require it (see src/core/backends/kubernetes/client.ts).
type ClientNode = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const k8s: ClientNode = require('@kubernetes/client-node');

/** The simulator as @kubernetes/client-node 1.4 (what Baton uses) sees it. */
describe('kube-sim with @kubernetes/client-node', function () {
  this.timeout(20_000);
  let cluster: SimCluster;
  let dir: string;
  let kc: InstanceType<ClientNode['KubeConfig']>;
  const aborts: AbortController[] = [];

  beforeEach(async () => {
    cluster = await startSimCluster({ nodes: 2 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sim-client-'));
    cluster.writeKubeconfig(path.join(dir, 'kubeconfig'), { context: 'sim-a' });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(path.join(dir, 'kubeconfig'));
  });
  afterEach(async () => {
    for (const a of aborts.splice(0)) a.abort();
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists nodes, creates a pod, reads its status and log', async () => {
    assert.equal(kc.getCurrentContext(), 'sim-a');
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const nodes = await core.listNode();
    assert.deepEqual(nodes.items.map((n) => n.metadata?.name), ['node-0', 'node-1']);
    assert.equal(nodes.items[0].status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    await core.createNamespace({ body: { metadata: { name: 'run' } } });
    const created = await core.createNamespacedPod({ namespace: 'run', body: daqPod('df-01') });
    assert.ok(created.metadata?.creationTimestamp instanceof Date, 'timestamps parse as dates');
    await waitFor('running', async () => (await core.readNamespacedPod({ namespace: 'run', name: 'df-01' })).status?.phase === 'Running');
    const log = await waitFor('log', async () => {
      const text = await core.readNamespacedPodLog({ namespace: 'run', name: 'df-01' });
      return /listening/.test(text) && text;
    });
    assert.match(log, /\[df-01\] listening on rest:\/\//);
  });

  it('errors are ApiExceptions with the Status body', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await assert.rejects(core.readNamespacedPod({ namespace: 'default', name: 'nope' }), (e: any) => {
      assert.ok(e instanceof k8s.ApiException);
      assert.equal(e.code, 404);
      assert.equal(JSON.parse(e.body).message, 'pods "nope" not found');
      return true;
    });
  });

  it('Watch delivers events, and an error callback on 410 Gone after compaction', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedPod({ namespace: 'default' });
    const rv = list.metadata?.resourceVersion as string;
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    aborts.push(await watch.watch('/api/v1/namespaces/default/pods', { resourceVersion: rv }, (type: string, obj: any) => seen.push(`${type} ${obj.metadata?.name ?? obj.code}`), () => undefined));
    await core.createNamespacedPod({ namespace: 'default', body: daqPod('a') });
    await waitFor('ADDED a', () => seen.includes('ADDED a'));
    cluster.faults.compactHistory();
    const done = new Promise<unknown>((resolve) => {
      void watch.watch('/api/v1/namespaces/default/pods', { resourceVersion: rv }, (type: string, obj: any) => seen.push(`${type} ${obj.code ?? obj.metadata?.name}`), resolve).then((a) => aborts.push(a));
    });
    await done;
    assert.ok(seen.includes('ERROR 410'), seen.join(', '));
  });

  it('Log follows a container', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 't' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'daq-app', command: [process.execPath, '-e', 'let i=0; const t=setInterval(()=>{console.log("n"+ ++i); if(i===3) clearInterval(t)}, 100)'] }] } },
    });
    await waitFor('started', async () => ((await core.readNamespacedPod({ namespace: 'default', name: 't' })).status?.containerStatuses?.[0]?.state?.running ? true : false));
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const ended = new Promise<void>((r) => out.on('end', r));
    aborts.push(await new k8s.Log(kc).log('default', 't', 'c', out, { follow: true }));
    await ended;
    assert.equal(text, 'n1\nn2\nn3\n');
  });
});
