import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isProcessAlive } from '../../../src/core/util/process-info';
import { startSimCluster, type SimCluster } from '../../support/kube-sim';
import { api, condition, daqPod, openWatch, waitFor, type WatchStream } from './helpers';

/* eslint-disable @typescript-eslint/no-explicit-any */

const DAQ_APP = path.resolve(__dirname, '../../../dist/daq-app.js');

/** A container that runs this Node with a script: any image name with daq-app is pullable. */
function nodePod(name: string, script: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}): any {
  return {
    metadata: { name, labels: { app: name } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'daq-app:script', command: [process.execPath, '-e', script], ...container }], ...spec },
  };
}

const IGNORE_TERM = "process.on('SIGTERM', () => console.log('got SIGTERM')); console.log('up'); setInterval(() => {}, 1000);";

describe('kube-sim kubelet', function () {
  this.timeout(30_000);
  let cluster: SimCluster;
  const streams: WatchStream[] = [];
  const servers: http.Server[] = [];

  before(() => {
    assert.ok(fs.existsSync(DAQ_APP), `${DAQ_APP} is missing: run npm run build first`);
  });
  beforeEach(async () => {
    cluster = await startSimCluster({ nodes: 2 });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    for (const s of servers.splice(0)) s.close();
    await cluster.stop();
  });

  const create = async (pod: any, ns = 'default'): Promise<void> => {
    const r = await api(cluster, 'POST', `/api/v1/namespaces/${ns}/pods`, pod);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  const get = (name: string, ns = 'default'): any => cluster.store.get('pods', ns, name);
  const state = (name: string): any => get(name)?.status?.containerStatuses?.[0]?.state ?? {};

  it('runs the reference application on the pod’s own loopback address', async () => {
    await create(daqPod('df-01'));
    const pod = await waitFor('Ready', () => condition(get('df-01'), 'Ready')?.status === 'True' && get('df-01'));
    assert.equal(pod.status.phase, 'Running');
    assert.match(pod.status.podIP, /^127\.\d+\.\d+\.\d+$/);
    assert.notEqual(pod.status.podIP, pod.status.hostIP);
    const node = cluster.store.get('nodes', undefined, pod.spec.nodeName);
    assert.equal(pod.status.hostIP, node.status.addresses.find((a: any) => a.type === 'InternalIP').address);
    assert.ok(state('df-01').running.startedAt);
    assert.equal(pod.status.containerStatuses[0].ready, true);
    // the application listens on the pod IP, where the $(POD_IP) expansion pointed it
    const log = await waitFor('listening line', async () => {
      const r = await api(cluster, 'GET', '/api/v1/namespaces/default/pods/df-01/log');
      return /listening on rest:\/\//.test(r.body) && r.body;
    });
    assert.match(log, new RegExp(`listening on rest://${pod.status.podIP.replace(/\./g, '\\.')}:3333`));
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: pod.status.podIP, port: 3333 }, () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
    // a second pod gets another address
    await create(daqPod('df-02'));
    const other = await waitFor('second IP', () => get('df-02')?.status?.podIP);
    assert.notEqual(other, pod.status.podIP);
  });

  it('reports exit codes: Completed/Succeeded and Error/Failed', async () => {
    await create(daqPod('dies', { args: ['--exit-after-ms', '200'] }));
    await create(nodePod('ok', 'console.log("done")'));
    await waitFor('dies terminated', () => state('dies').terminated);
    await waitFor('ok terminated', () => state('ok').terminated);
    assert.equal(get('dies').status.phase, 'Failed');
    assert.deepEqual([state('dies').terminated.exitCode, state('dies').terminated.reason], [3, 'Error']);
    assert.equal(get('ok').status.phase, 'Succeeded');
    assert.deepEqual([state('ok').terminated.exitCode, state('ok').terminated.reason], [0, 'Completed']);
    assert.equal(condition(get('ok'), 'Ready').reason, 'PodCompleted');
    assert.equal((await api(cluster, 'GET', '/api/v1/namespaces/default/pods/ok/log')).body, 'done\n');
  });

  it('an unknown command is a StartError with exit code 128', async () => {
    await create(nodePod('nocmd', '', {}, { command: ['/no/such/binary'] }));
    const t = await waitFor('terminated', () => state('nocmd').terminated);
    assert.equal(t.exitCode, 128);
    assert.equal(t.reason, 'StartError');
    assert.match(t.message, /exec: "\/no\/such\/binary": executable file not found/);
    assert.equal(get('nocmd').status.phase, 'Failed');
  });

  it('an image that cannot be pulled waits in ErrImagePull, then ImagePullBackOff, with events', async () => {
    await create(daqPod('img', { image: 'registry.example/nothing:1' }));
    const waiting = await waitFor('ErrImagePull', () => state('img').waiting?.reason === 'ErrImagePull' && state('img').waiting);
    assert.match(waiting.message, /not found/);
    await waitFor('ImagePullBackOff', () => state('img').waiting?.reason === 'ImagePullBackOff');
    assert.equal(get('img').status.phase, 'Pending');
    const events = (await api(cluster, 'GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dimg')).body.items;
    const reasons = events.map((e: any) => `${e.reason}: ${e.message}`);
    assert.ok(reasons.some((r: string) => /^Failed: Failed to pull image "registry.example\/nothing:1": /.test(r)), reasons.join('\n'));
    assert.ok(reasons.includes('BackOff: Back-off pulling image "registry.example/nothing:1"'), reasons.join('\n'));
  });

  it('a missing ConfigMap is a CreateContainerConfigError', async () => {
    await create(daqPod('cfg', { spec: {} }));
    await create(nodePod('cfg2', '', {}, { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'x' } } }] }));
    const w = await waitFor('waiting', () => state('cfg2').waiting?.reason === 'CreateContainerConfigError' && state('cfg2').waiting);
    assert.equal(w.message, 'configmap "settings" not found');
  });

  it('graceful deletion: Terminating, preStop hook, SIGTERM, then gone with a DELETED event', async () => {
    let hookCalls = 0;
    let aliveAtHook = false;
    const hook = http.createServer((_req, res) => {
      hookCalls++;
      aliveAtHook = cluster.pids().length > 0;
      res.end('ok');
    });
    servers.push(hook);
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookPort = (hook.address() as net.AddressInfo).port;
    const pod = daqPod('df-01');
    pod.spec.containers[0].lifecycle = { preStop: { httpGet: { host: '127.0.0.1', port: hookPort, path: '/stop' } } };
    await create(pod);
    await waitFor('running', () => state('df-01').running);
    const [pid] = cluster.pids();
    const rv = get('df-01').metadata.resourceVersion;
    const w = await openWatch(cluster, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    streams.push(w);
    const del = await api(cluster, 'DELETE', '/api/v1/namespaces/default/pods/df-01');
    assert.equal(del.status, 200);
    assert.ok(del.body.metadata.deletionTimestamp, 'the answer shows the deletion under way');
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, 30);
    await waitFor('DELETED', () => w.events.find((e) => e.type === 'DELETED'));
    assert.equal(get('df-01'), undefined);
    assert.equal(hookCalls, 1);
    assert.equal(aliveAtHook, true, 'preStop runs before the signal');
    assert.equal(isProcessAlive(pid), false);
    const types = w.events.map((e) => e.type);
    assert.equal(types[types.length - 1], 'DELETED');
    assert.ok(w.events.some((e) => e.type === 'MODIFIED' && e.object.metadata.deletionTimestamp));
  });

  it('an exec preStop hook runs with the container’s environment before SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sim-hook-'));
    try {
      const marker = path.join(dir, 'hook');
      const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, process.env.POD_NAME)`;
      const pod = nodePod('hooked', "process.on('SIGTERM', () => { console.log('term saw hook=' + require('fs').existsSync(" + JSON.stringify(marker) + ")); process.exit(0); }); console.log('up'); setInterval(() => {}, 1000);", {}, {
        env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        lifecycle: { preStop: { exec: { command: [process.execPath, '-e', script] } } },
      });
      await create(pod);
      await waitFor('up logged', async () => (await api(cluster, 'GET', '/api/v1/namespaces/default/pods/hooked/log')).body === 'up\n');
      const rv = get('hooked').metadata.resourceVersion;
      const w = await openWatch(cluster, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dhooked`);
      streams.push(w);
      let lastLog = '';
      const follow = http.get(`${cluster.url}/api/v1/namespaces/default/pods/hooked/log?follow=true`, (res) => res.setEncoding('utf8').on('data', (d: string) => (lastLog += d)));
      await api(cluster, 'DELETE', '/api/v1/namespaces/default/pods/hooked');
      await waitFor('DELETED', () => w.events.some((e) => e.type === 'DELETED'));
      follow.destroy();
      assert.equal(fs.readFileSync(marker, 'utf8'), 'hooked');
      assert.match(lastLog, /term saw hook=true/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGKILL after the grace period for a process that ignores SIGTERM; gracePeriodSeconds=0 kills at once', async () => {
    await create(nodePod('stubborn', IGNORE_TERM, { terminationGracePeriodSeconds: 1 }));
    await create(nodePod('quick', IGNORE_TERM));
    await waitFor('both running', () => state('stubborn').running && state('quick').running && cluster.pids().length === 2);
    await waitFor('up logged', async () => (await api(cluster, 'GET', '/api/v1/namespaces/default/pods/stubborn/log')).body === 'up\n');
    await api(cluster, 'DELETE', '/api/v1/namespaces/default/pods/stubborn');
    await api(cluster, 'DELETE', '/api/v1/namespaces/default/pods/quick', { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
    await waitFor('quick gone', () => get('quick') === undefined);
    assert.ok(get('stubborn'), 'the stubborn one is still within its grace period');
    assert.equal(get('stubborn').metadata.deletionGracePeriodSeconds, 1);
    await waitFor('stubborn gone', () => get('stubborn') === undefined, 10_000);
    assert.deepEqual(cluster.pids(), []);
  });

  it('killContainer reports OOMKilled (137); evictPod fails the pod with reason Evicted', async () => {
    await create(daqPod('oom'));
    await create(daqPod('ev'));
    await waitFor('running', () => state('oom').running && state('ev').running);
    cluster.faults.killContainer('default', 'oom');
    const t = await waitFor('terminated', () => state('oom').terminated);
    assert.deepEqual([t.exitCode, t.reason, t.signal], [137, 'OOMKilled', 9]);
    assert.equal(get('oom').status.phase, 'Failed');

    const evPid = cluster.pids()[0];
    cluster.faults.evictPod('default', 'ev', 'The node was low on resource: memory.');
    await waitFor('evicted', () => get('ev').status.reason === 'Evicted' && state('ev').terminated);
    assert.equal(get('ev').status.phase, 'Failed');
    assert.equal(get('ev').status.message, 'The node was low on resource: memory.');
    assert.equal(condition(get('ev'), 'DisruptionTarget').status, 'True');
    await waitFor('process gone', () => !isProcessAlive(evPid));
  });

  it('a readiness probe holds Ready until the application listens; a NotReady node makes its pods NotReady', async () => {
    const pod = daqPod('slow', { args: ['--startup-delay-ms', '2000'] });
    pod.spec.containers[0].readinessProbe = { tcpSocket: { port: 'cmd' }, periodSeconds: 1 };
    await create(pod);
    await waitFor('running', () => state('slow').running);
    assert.equal(condition(get('slow'), 'Ready').status, 'False');
    assert.equal(get('slow').status.containerStatuses[0].ready, false);
    await waitFor('Ready', () => condition(get('slow'), 'Ready')?.status === 'True', 10_000);
    cluster.faults.setNodeReady(get('slow').spec.nodeName, false);
    await waitFor('NotReady', () => condition(get('slow'), 'Ready')?.status === 'False');
    assert.ok(state('slow').running, 'the process keeps running');
  });

  it('restartPolicy Always restarts a dead container and counts it; previous logs stay readable', async () => {
    await create(nodePod('crash', 'console.log("run", Date.now()); setTimeout(() => process.exit(2), 100)', { restartPolicy: 'Always' }));
    await waitFor('restarted', () => get('crash').status.containerStatuses?.[0]?.restartCount >= 1);
    const cs = get('crash').status.containerStatuses[0];
    assert.equal(cs.lastState.terminated.exitCode, 2);
    await waitFor('CrashLoopBackOff', () => state('crash').waiting?.reason === 'CrashLoopBackOff');
    const prev = await api(cluster, 'GET', '/api/v1/namespaces/default/pods/crash/log?previous=true');
    assert.match(prev.body, /^run \d+\n$/);
  });

  it('a pod created with spec.nodeName runs there without the scheduler', async () => {
    await create(daqPod('pinned', { spec: { nodeName: 'node-1' } }));
    await waitFor('running', () => state('pinned').running);
    assert.equal(get('pinned').spec.nodeName, 'node-1');
    const events = (await api(cluster, 'GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dpinned,reason%3DScheduled')).body.items;
    assert.equal(events.length, 0);
  });

  it('hostNetwork pods get their node’s address', async () => {
    await create(daqPod('host', { spec: { hostNetwork: true } }));
    const pod = await waitFor('IP', () => get('host')?.status?.podIP && get('host'));
    assert.equal(pod.status.podIP, pod.status.hostIP);
  });

  it('logs: tailLines, and follow streams until the container ends', async () => {
    await create(nodePod('talk', "let i = 0; const t = setInterval(() => { console.log('line ' + ++i); if (i === 5) { clearInterval(t); } }, 150);"));
    await waitFor('running', () => state('talk').running);
    const followed = await new Promise<string>((resolve, reject) => {
      http
        .get(`${cluster.url}/api/v1/namespaces/default/pods/talk/log?follow=true`, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    assert.equal(followed, 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    assert.equal((await api(cluster, 'GET', '/api/v1/namespaces/default/pods/talk/log?tailLines=2')).body, 'line 4\nline 5\n');
    const two = daqPod('two');
    two.spec.containers.push({ ...two.spec.containers[0], name: 'side', args: ['--name', 'side', '-c', 'rest://$(POD_IP):3334'] });
    await create(two);
    const r = await api(cluster, 'GET', '/api/v1/namespaces/default/pods/two/log');
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'a container name must be specified for pod two, choose one of: [app side]');
  });

  it('a terminating namespace refuses new pods until its pods are gone', async () => {
    await api(cluster, 'POST', '/api/v1/namespaces', { metadata: { name: 'run' } });
    await create(nodePod('stubborn', IGNORE_TERM, { terminationGracePeriodSeconds: 1 }), 'run');
    // once it has said "up", its SIGTERM handler is in place
    await waitFor('up logged', async () => (await api(cluster, 'GET', '/api/v1/namespaces/run/pods/stubborn/log')).body === 'up\n');
    await api(cluster, 'DELETE', '/api/v1/namespaces/run');
    assert.equal(cluster.store.get('namespaces', undefined, 'run').status.phase, 'Terminating');
    const r = await api(cluster, 'POST', '/api/v1/namespaces/run/pods', daqPod('late'));
    assert.equal(r.status, 403);
    assert.equal(r.body.message, 'unable to create new content in namespace run because it is being terminated');
    await waitFor('namespace gone', () => !cluster.store.get('namespaces', undefined, 'run'), 10_000);
  });

  it('stop() leaves no container process behind', async () => {
    for (const n of ['a', 'b', 'c']) await create(daqPod(n));
    await create(nodePod('d', IGNORE_TERM));
    await waitFor('4 running', () => cluster.pids().length === 4);
    const pids = cluster.pids();
    await cluster.stop();
    for (const pid of pids) assert.equal(isProcessAlive(pid), false, `pid ${pid} survived stop()`);
  });

  it('a test process that exits without stop() takes its container processes with it', async () => {
    const fixture = path.join(__dirname, 'fixtures', 'exit-without-stop.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture], { timeout: 30_000 });
    const pids = JSON.parse(stdout) as number[];
    assert.equal(pids.length, 1);
    await waitFor('container process gone', () => !isProcessAlive(pids[0]), 3000);
  });
});
