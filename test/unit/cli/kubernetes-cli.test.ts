import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, ensureBuilt } from '../../support/demo-system';
import { startSimCluster, type SimCluster } from '../../support/kube-sim';
import { loadKubeAccess } from '../../../src/core/backends/kubernetes/kube-access';
import { kube } from '../../../src/core/backends/kubernetes/client';
import { DAQ_APP, felixNodes } from '../backends/kubernetes/helpers';

const REPO = path.resolve(__dirname, '../../..');
const EXAMPLE = path.join(REPO, 'examples/kubernetes.baton.yaml');

function baton(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('baton CLI on the kubernetes backend (simulated cluster)', function () {
  this.timeout(150_000);
  let sim: SimCluster | undefined;
  let dir = '';
  let kubeconfig = '';
  before(ensureBuilt);
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-k8s-cli-'));
    // As the example's README command starts it: four nodes, FELIX cards on node-0 and node-1.
    sim = await startSimCluster({ nodes: felixNodes(4), daqApp: DAQ_APP });
    kubeconfig = path.join(dir, 'sim.kubeconfig');
    sim.writeKubeconfig(kubeconfig);
  });
  afterEach(async () => {
    await sim?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a session left configured is shown by baton status from the cluster, and a later run shuts it down', async () => {
    const env = { KUBECONFIG: kubeconfig };
    const batonDir = ['--baton-dir', path.join(dir, '.baton')];
    const first = await baton(['run', EXAMPLE, 'boot', 'conf', ...batonDir], env, dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /session demo-k8s left in configured/);
    // From another directory (no local record): the cluster alone answers.
    const status = await baton(['status', EXAMPLE, '--baton-dir', path.join(dir, 'elsewhere')], env, dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^session demo-k8s: live, no controller attached/);
    assert.match(status.stdout, /ru-apa1\s+configured\s+pod Running on node-[01] up :3333/);
    assert.equal((status.stdout.match(/pod Running on node-\d up/g) ?? []).length, 7);
    const last = await baton(['run', EXAMPLE, 'shutdown', ...batonDir], env, dir);
    assert.equal(last.code, 0, last.stderr);
    assert.match(last.stdout, /reattached to session demo-k8s \(configured\)/);
    assert.deepEqual(sim!.store.list('pods', 'demo-k8s'), []);
  });

  it('an unknown --context is a usage error naming the known contexts; an unreachable cluster a plain sentence', async () => {
    const bad = await baton(['run', EXAMPLE, '--context', 'nope', '--baton-dir', path.join(dir, '.baton')], { KUBECONFIG: kubeconfig }, dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^baton: unknown context "nope" in .*; known contexts: "sim"\n$/);
    const url = sim!.url;
    await sim!.stop();
    sim = undefined;
    const down = await baton(['run', EXAMPLE, '--kubeconfig', kubeconfig, '--baton-dir', path.join(dir, '.baton')], {}, dir);
    assert.equal(down.code, 1);
    assert.equal(down.stderr, `baton: cannot reach cluster "sim" at ${url}: connection refused (while trying to read namespace demo-k8s)\n`);
  });
});

describe('the README command: examples/kubernetes.baton.yaml against npm run sim:cluster', function () {
  this.timeout(150_000);
  let dir = '';
  let simProcess: ChildProcess | undefined;
  before(ensureBuilt);
  afterEach(async () => {
    const p = simProcess;
    simProcess = undefined;
    if (p && p.exitCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGINT'); // the script stops its cluster (and every container) on SIGINT
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
      if (p.exitCode === null) p.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('boots, takes a run and shuts down: readout pinned to the FELIX nodes, one per node, nothing left', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-k8s-readme-'));
    const kubeconfig = path.join(dir, 'sim.kubeconfig');
    simProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/sim-cluster.ts', '--nodes', '4', '--kubeconfig', kubeconfig,
      '--labels', 'node-0:felix.cern/card=true,node-1:felix.cern/card=true', '--extended', 'node-0:felix.cern/card=1,node-1:felix.cern/card=1'], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      simProcess!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('export KUBECONFIG=')) resolve();
      });
      simProcess!.once('exit', (code) => reject(new Error(`sim:cluster exited with ${code}: ${out}`)));
    });
    // Where the scheduler puts the pods, from its events, watched through the API as kubectl would
    // (the session's namespace, events included, is gone once the run has ended).
    const access = loadKubeAccess({ kubeconfig });
    const assigned = new Map<string, string>();
    const watching = await new (kube().Watch)(access.kc).watch(
      '/api/v1/events',
      { fieldSelector: 'involvedObject.namespace=demo-k8s' },
      (_type: string, e: { message?: string }) => {
        const m = /^Successfully assigned demo-k8s\/(\S+) to (\S+)$/.exec(e.message ?? '');
        if (m) assigned.set(m[1], m[2]);
      },
      () => undefined,
    );
    const r = await baton(['run', EXAMPLE, '--json', '--baton-dir', path.join(dir, '.baton')], { KUBECONFIG: kubeconfig }, dir).finally(() => watching.abort());
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; name?: string; phase?: string; report?: { ok: boolean } });
    const finished = lines.filter((l) => l.type === 'transition' && l.phase === 'finished').map((l) => `${l.name}:${l.report?.ok}`);
    assert.deepEqual(finished.filter((f) => /^(boot|start|stop|terminate):/.test(f)), ['boot:true', 'start:true', 'stop:true', 'terminate:true']);
    assert.equal(assigned.size, 7, JSON.stringify([...assigned]));
    assert.deepEqual([assigned.get('ru-apa1'), assigned.get('ru-apa2')].sort(), ['node-0', 'node-1']);
    // Nothing is left: no pod, no service, not even the namespace.
    const core = access.core();
    assert.deepEqual((await core.listPodForAllNamespaces({ labelSelector: 'app.kubernetes.io/managed-by=baton' })).items, []);
    assert.deepEqual((await core.listServiceForAllNamespaces({ labelSelector: 'app.kubernetes.io/managed-by=baton' })).items, []);
    assert.ok(!(await core.listNamespace()).items.some((n) => n.metadata?.name === 'demo-k8s'), 'the session namespace is gone');
  });
});
