import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeClusterInfoProvider, type ClusterSettings } from '../../../../src/core/backends/kubernetes/cluster-info-provider';
import { ClusterInventory } from '../../../../src/core/backends/kubernetes/cluster-inventory';
import { loadKubeAccess } from '../../../../src/core/backends/kubernetes/kube-access';
import { startSimCluster, type SimCluster } from '../../../support/kube-sim';

describe('cluster info provider (language server) against the simulated cluster', function () {
  this.timeout(30_000);
  let sim: SimCluster | undefined;
  let dir: string;
  let kubeconfig: string;
  let provider: KubeClusterInfoProvider | undefined;
  let loads = 0;

  const start = (settings: ClusterSettings) => {
    provider = new KubeClusterInfoProvider({
      modules: () => {
        loads++;
        return { loadKubeAccess, ClusterInventory };
      },
      settings,
      env: {},
      inventory: { coalesceMs: 10, retryMs: 50, maxRetryMs: 200 },
    });
    return provider;
  };

  /** Resolves on the next change announcement. */
  const changed = (p: KubeClusterInfoProvider) =>
    new Promise<void>((resolve) => {
      const off = p.onDidChange(() => {
        off();
        resolve();
      });
    });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-provider-'));
    sim = await startSimCluster({ nodes: [{ name: 'a', labels: { zone: 'x' } }, { name: 'b', labels: { zone: 'y' } }] });
    kubeconfig = path.join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { context: 'sim' });
    const core = loadKubeAccess({ kubeconfig, env: {} }).core();
    await core.createNamespace({ body: { metadata: { name: 'np04' } } });
  });

  afterEach(() => {
    provider?.dispose();
    provider = undefined;
  });

  after(async () => {
    await sim?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads nothing and answers nothing while disabled', () => {
    loads = 0;
    const p = start({ kubeconfig, enabled: false });
    assert.equal(p.snapshot(), undefined);
    assert.equal(p.nodeLabels(), undefined);
    assert.equal(loads, 0);
  });

  it('answers from the cache at once, and announces changes that matter to placement only', async () => {
    const p = start({ kubeconfig, enabled: true });
    const first = changed(p);
    assert.equal(p.snapshot(), undefined, 'the first question never waits');
    await first;
    const snap = p.snapshot()!;
    assert.equal(snap.context, 'sim');
    assert.deepEqual(snap.nodes.map((n) => n.name).sort(), ['a', 'b']);
    const labels = await p.nodeLabels();
    assert.deepEqual(labels!['kubernetes.io/hostname'], ['a', 'b']);
    assert.deepEqual(labels!.zone, ['x', 'y']);
    assert.equal(p.snapshot(), snap, 'the same snapshot object until something changes');

    let fired = 0;
    p.onDidChange(() => fired++);
    // A node changed in a way placement does not care about (an annotation) is no news.
    const core = loadKubeAccess({ kubeconfig, env: {} }).core();
    const a = await core.readNode({ name: 'a' });
    a.metadata!.annotations = { ...a.metadata!.annotations, 'example.org/note': 'checked' };
    await core.replaceNode({ name: 'a', body: a });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sim!.store.get('nodes', undefined, 'a').metadata.annotations['example.org/note'], 'checked');
    assert.equal(fired, 0);
    const next = changed(p);
    sim!.faults.setNodeReady('b', false);
    await next;
    assert.equal(p.snapshot()!.nodes.find((n) => n.name === 'b')!.ready, false);
    sim!.faults.setNodeReady('b', true);
  });

  it('keeps one watch per context, named by the configuration or the settings', async () => {
    const p = start({ kubeconfig, enabled: true, context: 'sim' });
    const ready = changed(p);
    p.snapshot();
    await ready;
    assert.equal(p.snapshot('sim'), p.snapshot(), 'the default context is the one the settings name');
    assert.equal(p.snapshot('elsewhere'), undefined);
    await new Promise((r) => setTimeout(r, 50));
    assert.match(p.problem('elsewhere')!, /unknown context "elsewhere"/);
    assert.deepEqual(await p.nodeLabels('elsewhere'), {}, 'completion gets nothing, not an error');
  });

  it('new settings drop the watches and are announced; the same settings are not', async () => {
    const p = start({ kubeconfig, enabled: true });
    const ready = changed(p);
    p.snapshot();
    await ready;
    let fired = 0;
    p.onDidChange(() => fired++);
    p.configure({ kubeconfig, enabled: true });
    assert.equal(fired, 0);
    p.configure({ kubeconfig, enabled: false });
    assert.equal(fired, 1);
    assert.equal(p.snapshot(), undefined);
  });
});
