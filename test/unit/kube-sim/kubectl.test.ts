import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startSimCluster, type SimCluster } from '../../support/kube-sim';
import { daqPod, waitFor } from './helpers';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Fidelity of the simulated cluster, judged by the real kubectl ($KUBECTL, or kubectl on
 * PATH). kubectl always gets --kubeconfig and a private HOME and cache directory, so the
 * user's ~/.kube is never read or written. kubectl 1.27 and later validate `apply` and
 * `create -f` through the server (the simulator's OpenAPI v3 document says it supports
 * fieldValidation); older kubectl validates on the client from the protobuf OpenAPI v2
 * document, which the simulator does not serve, so those runs use --validate=false.
 */

const execFileP = promisify(execFile);

function findKubectl(): string | undefined {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'kubectl');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const MANIFEST = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: baton/daq-app:1
    command: [baton-daq-app]
    args: [--name, web, -c, 'rest://$(POD_IP):3333']
    env:
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    ports: [{containerPort: 3333, name: cmd}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {app: web}
  ports: [{port: 3333, targetPort: cmd}]
`;

/** Splits kubectl's table output into rows of cells (columns are separated by 2+ spaces). */
function table(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));
}

describe('kube-sim with the real kubectl', function () {
  this.timeout(60_000);
  let cluster: SimCluster;
  let dir: string;
  let kubeconfig: string;
  let kubectl: string;
  /** [] for kubectl >= 1.27, ['--validate=false'] before. */
  let validate: string[] = [];
  const children: ChildProcess[] = [];

  const run = async (...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> => {
    try {
      const { stdout, stderr } = await execFileP(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache'), ...args], {
        env: { PATH: process.env.PATH, HOME: dir },
        timeout: 45_000,
      });
      return { stdout, stderr, code: 0 };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number };
      if (typeof err.code !== 'number') throw e;
      return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: err.code };
    }
  };
  const ok = async (...args: string[]): Promise<string> => {
    const r = await run(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const stream = (...args: string[]): { child: ChildProcess; out: () => string; done: Promise<number | null> } => {
    const child = spawn(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache'), ...args], { env: { PATH: process.env.PATH, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
    const done = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    return { child, out: () => out, done };
  };
  const podState = (name: string): any => cluster.store.get('pods', 'default', name)?.status?.containerStatuses?.[0]?.state ?? {};

  before(async () => {
    const found = findKubectl();
    assert.ok(found, 'kubectl not found: install it or set KUBECTL=/path/to/kubectl (these tests do not skip)');
    kubectl = found;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sim-kubectl-'));
    kubeconfig = path.join(dir, 'kubeconfig');
    cluster = await startSimCluster({
      nodes: [
        { name: 'cp-0', labels: { 'node-role.kubernetes.io/control-plane': '' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
        { name: 'felix-0', labels: { 'felix.cern/card': 'true' }, allocatable: { 'felix.cern/card': '1' } },
        { name: 'node-1' },
        { name: 'node-2' },
      ],
    });
    cluster.faults.setNodeReady('node-2', false);
    cluster.writeKubeconfig(kubeconfig, { namespace: 'default' });
    const v = JSON.parse((await run('version', '--client', '-o', 'json')).stdout).clientVersion;
    if (Number(v.major) === 1 && Number.parseInt(v.minor, 10) < 27) validate = ['--validate=false'];
    console.log(`      using ${kubectl} ${v.gitVersion}${validate.length ? ' (with --validate=false)' : ''}`);
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('get nodes: STATUS Ready/NotReady and ROLES', async () => {
    const rows = table(await ok('get', 'nodes'));
    assert.deepEqual(rows[0], ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    const byName = new Map(rows.slice(1).map((r) => [r[0], r]));
    assert.deepEqual(byName.get('cp-0')?.slice(1, 3), ['Ready', 'control-plane']);
    assert.deepEqual(byName.get('node-1')?.slice(1, 3), ['Ready', '<none>']);
    assert.deepEqual(byName.get('node-2')?.slice(1, 3), ['NotReady', '<none>']);
  });

  it('apply -f creates a pod and a service, then reports them unchanged or configured', async () => {
    const file = path.join(dir, 'web.yaml');
    fs.writeFileSync(file, MANIFEST);
    assert.equal((await ok('apply', ...validate, '-f', file)).trim(), 'pod/web created\nservice/web created');
    assert.equal((await ok('apply', ...validate, '-f', file)).trim(), 'pod/web unchanged\nservice/web unchanged');
    fs.writeFileSync(file, MANIFEST.replace('  labels: {app: web}\nspec:\n  selector', '  labels: {app: web, tier: cmd}\nspec:\n  selector'));
    assert.equal((await ok('apply', ...validate, '-f', file)).trim(), 'pod/web unchanged\nservice/web configured');
    const svc = cluster.store.get('services', 'default', 'web');
    assert.equal(svc.metadata.labels.tier, 'cmd');
    assert.match(svc.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], /"tier":"cmd"/);
  });

  it('server-side field validation rejects an unknown field (kubectl >= 1.27)', async function () {
    if (validate.length) this.skip();
    const file = path.join(dir, 'typo.yaml');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: typo\n  lables: {a: b}\nspec:\n  ports: [{port: 1}]\n');
    const r = await run('apply', '-f', file);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /strict decoding error: unknown field "metadata.lables"/);
    assert.equal(cluster.store.get('services', 'default', 'typo'), undefined);
  });

  it('get pods -o wide: STATUS, IP and NODE', async () => {
    await waitFor('web running', () => podState('web').running);
    const pod = cluster.store.get('pods', 'default', 'web');
    const rows = table(await ok('get', 'pods', '-o', 'wide'));
    assert.deepEqual(rows[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    const web = rows.find((r) => r[0] === 'web') as string[];
    assert.deepEqual([web[1], web[2], web[3], web[5], web[6]], ['1/1', 'Running', '0', pod.status.podIP, pod.spec.nodeName]);
    assert.notEqual(pod.spec.nodeName, 'cp-0', 'the control-plane taint keeps it off');
    assert.notEqual(pod.spec.nodeName, 'node-2', 'a NotReady node takes nothing');
  });

  it('get pods shows the STATUS words of kubectl: Completed, Error, OOMKilled, ImagePullBackOff, Pending', async () => {
    const create = async (pod: any): Promise<void> => {
      fs.writeFileSync(path.join(dir, `${pod.metadata.name}.json`), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod }));
      await ok('create', ...validate, '-f', path.join(dir, `${pod.metadata.name}.json`));
    };
    await create({ metadata: { name: 'done', labels: { set: 'words' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'daq-app', command: [process.execPath, '-e', ''] }] } });
    await create({ metadata: { name: 'fails', labels: { set: 'words' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'daq-app', command: [process.execPath, '-e', 'process.exit(4)'] }] } });
    await create(daqPod('oom', { labels: { set: 'words' } }));
    await create(daqPod('nopull', { labels: { set: 'words' }, image: 'example.org/missing:1' }));
    await create(daqPod('nowhere', { labels: { set: 'words' }, spec: { nodeSelector: { disk: 'none' } } }));
    await waitFor('oom running', () => podState('oom').running);
    cluster.faults.killContainer('default', 'oom');
    await waitFor('states', () => podState('done').terminated && podState('fails').terminated && podState('oom').terminated && podState('nopull').waiting?.reason === 'ImagePullBackOff');
    const rows = table(await ok('get', 'pods', '-l', 'set=words'));
    const status = Object.fromEntries(rows.slice(1).map((r) => [r[0], r[2]]));
    assert.deepEqual(status, { done: 'Completed', fails: 'Error', oom: 'OOMKilled', nopull: 'ImagePullBackOff', nowhere: 'Pending' });
    const described = await ok('describe', 'pod', 'nowhere');
    assert.match(described, /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/4 nodes are available: 1 node\(s\) had untolerated taint \{node-role.kubernetes.io\/control-plane: \}, 1 node\(s\) had untolerated taint \{node.kubernetes.io\/not-ready: \}, 2 node\(s\) didn't match Pod's node affinity\/selector\./);
    await ok('delete', 'pods', '-l', 'set=words', '--wait=true');
    assert.equal(cluster.store.list('pods').filter((p) => p.metadata.labels?.set === 'words').length, 0);
  });

  it('get pods -l selects by label', async () => {
    await ok('run', 'other', '--image=baton/daq-app:1', '--restart=Never', '--labels=app=other', '--command', '--', 'baton-daq-app', '--name', 'other', '-c', 'rest://127.0.0.1:0');
    const names = (sel: string): Promise<string[]> => ok('get', 'pods', '-l', sel, '-o', 'name').then((o) => o.trim().split('\n').sort());
    assert.deepEqual(await names('app=web'), ['pod/web']);
    assert.deepEqual(await names('app in (web,other)'), ['pod/other', 'pod/web']);
    assert.deepEqual(await names('app!=web'), ['pod/other']);
  });

  it('get pods -w sees a change, until it is ended', async () => {
    const w = stream('get', 'pods', '-w');
    await waitFor('initial table', () => /NAME\s+READY\s+STATUS/.test(w.out()) && /\nweb\s/.test(w.out()), 20_000);
    await ok('delete', 'pod', 'other', '--wait=false');
    await waitFor('other Terminating', () => /\nother\s+\S+\s+Terminating/.test(w.out()), 20_000);
    w.child.kill('SIGTERM');
    await w.done;
  });

  it('describe pod: conditions, IP, node and events', async () => {
    const out = await ok('describe', 'pod', 'web');
    const pod = cluster.store.get('pods', 'default', 'web');
    assert.match(out, /^Name:\s+web$/m);
    assert.match(out, new RegExp(`^Node:\\s+${pod.spec.nodeName}/127\\.\\d+\\.`, 'm'));
    assert.match(out, new RegExp(`^IP:\\s+${pod.status.podIP.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(out, /^Status:\s+Running$/m);
    assert.match(out, /^\s+Ready\s+True\s*$/m);
    assert.match(out, /^\s+PodScheduled\s+True\s*$/m);
    assert.match(out, new RegExp(`Normal\\s+Scheduled\\s+\\S+\\s+default-scheduler\\s+Successfully assigned default/web to ${pod.spec.nodeName}`));
    assert.match(out, /Normal\s+Started\s+\S+\s+kubelet\s+Started container app/);
  });

  it('describe node: labels, conditions, allocatable, pods', async () => {
    const out = await ok('describe', 'node', 'felix-0');
    assert.match(out, /^Name:\s+felix-0$/m);
    assert.match(out, /felix\.cern\/card=true/);
    assert.match(out, /^\s+Ready\s+True\s/m);
    assert.match(out, /^Allocatable:\n(\s+.+\n)*\s+felix\.cern\/card:\s+1$/m);
    assert.match(out, /Non-terminated Pods:/);
    const notReady = await ok('describe', 'node', 'node-2');
    assert.match(notReady, /^\s+Ready\s+False\s/m);
    assert.match(notReady, /^Taints:\s+node\.kubernetes\.io\/not-ready:NoExecute$/m);
  });

  it('logs and logs -f', async () => {
    const logs = await ok('logs', 'web');
    assert.match(logs, /\[web\] listening on rest:\/\/127\.\d+\.\d+\.\d+:3333/);
    await ok('run', 'talker', '--image=daq-app', '--restart=Never', '--command', '--', process.execPath, '-e', 'let i=0; const t=setInterval(()=>{console.log("tick "+ ++i); if(i===4) clearInterval(t)}, 200)');
    await waitFor('talker running', () => podState('talker').running || podState('talker').terminated);
    const f = stream('logs', '-f', 'talker');
    assert.equal(await f.done, 0);
    assert.equal(f.out(), 'tick 1\ntick 2\ntick 3\ntick 4\n');
  });

  it('delete pod waits until it is gone', async () => {
    await waitFor('talker done', () => podState('talker').terminated);
    const out = await ok('delete', 'pod', 'web');
    assert.equal(out.trim(), 'pod "web" deleted');
    assert.equal(cluster.store.get('pods', 'default', 'web'), undefined);
    const missing = await run('get', 'pod', 'web');
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): pods "web" not found');
  });

  it('get ns and get events', async () => {
    // `kubectl create namespace` sends protobuf, which the simulator does not decode; a manifest is JSON
    fs.writeFileSync(path.join(dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: run-7\n');
    await ok('create', ...validate, '-f', path.join(dir, 'ns.yaml'));
    const rows = table(await ok('get', 'ns'));
    assert.deepEqual(rows[0], ['NAME', 'STATUS', 'AGE']);
    assert.deepEqual(rows.find((r) => r[0] === 'run-7')?.slice(0, 2), ['run-7', 'Active']);
    assert.deepEqual(rows.find((r) => r[0] === 'default')?.slice(0, 2), ['default', 'Active']);
    const events = table(await ok('get', 'events'));
    assert.deepEqual(events[0], ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    assert.ok(events.some((r) => r[2] === 'Scheduled' && r[3] === 'pod/web'), events.map((r) => r.join(' | ')).join('\n'));
    assert.ok(events.some((r) => r[1] === 'Warning' && r[2] === 'FailedScheduling'));
    await ok('delete', 'namespace', 'run-7');
    assert.equal(cluster.store.get('namespaces', undefined, 'run-7'), undefined);
  });
});
