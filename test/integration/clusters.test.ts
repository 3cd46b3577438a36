import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadKubeAccess } from '../../src/core/backends/kubernetes/kube-access';
import type { BatonApi } from '../../src/extension/extension';
import type { ClusterElement } from '../../src/extension/views/clusters-model';
import { startSimCluster, type SimCluster } from '../support/kube-sim';
import { REPO, screenshot, until } from './support/harness';


describe('Clusters view against the simulated cluster (real extension host)', () => {
  let api: BatonApi;
  let sim: SimCluster | undefined;
  let dir: string;
  let ctxSim: ClusterElement;

  const find = async (parent: ClusterElement | undefined, id: string): Promise<ClusterElement | undefined> =>
    (parent ? await api.clusters.children(parent) : await api.clusters.roots()).find((e) => e.id === id);

  before(async () => {
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'baton' && e.extensionPath === REPO);
    assert.ok(ext, 'the Baton extension under development is not loaded');
    api = (await ext.activate()) as BatonApi;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-clusters-it-'));
    sim = await startSimCluster({
      daqApp: path.join(REPO, 'dist', 'daq-app.js'),
      nodes: [
        { name: 'felix-01', labels: { 'felix.cern/card': 'true', 'node-role.kubernetes.io/readout': '' }, allocatable: { cpu: '16', memory: '64Gi', pods: '110', 'felix.cern/card': '1' } },
        { name: 'storage-01', labels: { storage: 'ssd' }, taints: [{ key: 'storage', effect: 'NoSchedule' }] },
      ],
    });
    const admin = path.join(dir, 'admin.yaml');
    const ro = path.join(dir, 'readonly.yaml');
    sim.writeKubeconfig(admin, { context: 'sim' });
    sim.writeKubeconfig(ro, { context: 'sim-ro', user: 'forbidden' });
    const settings = vscode.workspace.getConfiguration('baton');
    await settings.update('kubeconfig', `${admin}${path.delimiter}${ro}`, vscode.ConfigurationTarget.Global);
    await settings.update('kubernetes.context', undefined, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await api?.close(false).catch(() => undefined);
    const settings = vscode.workspace.getConfiguration('baton');
    await settings.update('kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    await settings.update('kubernetes.context', undefined, vscode.ConfigurationTarget.Global);
    await sim?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists this machine and every kubeconfig context, the current one selected', async () => {
    const roots = await api.clusters.roots();
    assert.deepEqual(roots.map((e) => e.id), ['local', 'ctx/sim', 'ctx/sim-ro']);
    ctxSim = roots[1];
    const item = api.clusters.item(ctxSim);
    assert.match(item.description, /^selected/);
    assert.match(item.tooltip, new RegExp(sim!.url.replace(/[.:/]/g, '\\$&')));
    assert.match(api.clusters.item(roots[0]).description, /^this machine/);
  });

  it('shows the nodes with readiness, roles, allocatable, labels and taints', async () => {
    const nodes = await api.clusters.children(ctxSim);
    assert.deepEqual(nodes.map((e) => e.id), ['ctx/sim/node/felix-01', 'ctx/sim/node/storage-01']);
    const felix = api.clusters.item(nodes[0]);
    assert.equal(felix.description, 'Ready · readout · 16 CPU · 64 GiB · felix.cern/card: 1');
    assert.match(felix.tooltip, /`felix\.cern\/card=true`/);
    assert.match(api.clusters.item(nodes[1]).tooltip, /`storage:NoSchedule`/);
    assert.deepEqual(api.clusters.watching(), [{ context: 'sim', nodes: 'ready', pods: 'ready' }]);
    assert.match(api.clusters.item(ctxSim).description, /2\/2 nodes ready/);
  });

  it('a context the user may not read shows the plain reason, not a spinner', async () => {
    const ro = (await api.clusters.roots())[2];
    const children = await api.clusters.children(ro);
    assert.equal(children.length, 1);
    assert.equal(children[0].kind, 'message');
    assert.match(api.clusters.item(children[0]).label, /^forbidden: .*nodes/);
    assert.equal(api.clusters.item(ro).description, 'unreachable');
    api.clusters.collapse(ro);
  });

  it('a pod created with Baton\'s labels appears under its node with its status words; a node going NotReady shows through the watch', async () => {
    const core = loadKubeAccess({ kubeconfig: path.join(dir, 'admin.yaml'), env: {} }).core();
    await core.createNamespace({ body: { metadata: { name: 'np04' } } });
    const refreshes = api.clusters.refreshCount;
    const listsBefore = sim!.requests.byKind()['list nodes'] ?? 0;
    await core.createNamespacedPod({
      namespace: 'np04',
      body: {
        metadata: { name: 'ru-01', labels: { 'app.kubernetes.io/managed-by': 'baton', 'baton.dev/session': 'np04', 'baton.dev/app': 'ru-01' } },
        spec: {
          restartPolicy: 'Never',
          nodeSelector: { 'felix.cern/card': 'true' },
          containers: [{ name: 'app', image: 'registry.example/baton/daq-app:test', command: ['baton-daq-app'], args: ['--name', 'ru-01', '-c', 'rest://$(POD_IP):3333'], env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }],
        },
      },
    });
    const felix = (await find(ctxSim, 'ctx/sim/node/felix-01'))!;
    const pod = await until('the pod under felix-01, Running', async () => {
      const [p] = await api.clusters.children(felix);
      return p && api.clusters.item(p).description.startsWith('Running') ? p : undefined;
    });
    assert.equal(api.clusters.item(pod).label, 'ru-01');
    assert.equal(api.clusters.item(pod).description, 'Running · np04');
    // The view hears of it from the watch (through two coalescing steps, so shortly after the index has it).
    await until('a refresh of the view', () => api.clusters.refreshCount > refreshes);
    assert.equal(api.clusters.parent(pod), felix);

    sim!.faults.setNodeReady('storage-01', false);
    const storage = (await find(ctxSim, 'ctx/sim/node/storage-01'))!;
    await until('storage-01 NotReady', () => api.clusters.item(storage).description.startsWith('NotReady'));
    assert.equal(api.clusters.item(storage).color, 'errorForeground');
    await until('the context counts one ready node', () => /1\/2 nodes ready/.test(api.clusters.item(ctxSim).description));
    assert.equal(sim!.requests.byKind()['list nodes'] ?? 0, listsBefore, 'changes come from the watch: no new list, no polling');

    // Copy a label as a nodeSelector, and open the pod's log through the log API.
    const snippet = await vscode.commands.executeCommand<string>('baton.clusters.copyNodeSelector', felix, 'felix.cern/card');
    assert.equal(snippet, 'nodeSelector: {felix.cern/card: "true"}');
    assert.equal(await vscode.env.clipboard.readText(), snippet);
    const logsBefore = sim!.requests.byKind()['get pods/log'] ?? 0;
    await vscode.commands.executeCommand('baton.clusters.openPodLog', pod);
    await until('a log request', () => (sim!.requests.byKind()['get pods/log'] ?? 0) > logsBefore);
  });

  it('a collapsed context watches nothing', async () => {
    api.clusters.collapse(ctxSim);
    assert.deepEqual(api.clusters.watching(), []);
    await new Promise((r) => setTimeout(r, 200));
    sim!.requests.reset();
    sim!.faults.setNodeReady('storage-01', true);
    await new Promise((r) => setTimeout(r, 300));
    const kinds = Object.keys(sim!.requests.byKind()).filter((k) => !k.includes('pods/log'));
    assert.deepEqual(kinds, []);
    // Expanding again starts over and sees the current truth.
    const nodes = await api.clusters.children(ctxSim);
    assert.match(api.clusters.item(nodes[1]).description, /^Ready/);
  });

  it('switches the context (persisted in the settings); an unknown one is reported, the others still listed', async () => {
    const settings = () => vscode.workspace.getConfiguration('baton');
    const refreshed = () =>
      new Promise<void>((resolve) => {
        const d = api.clusters.onDidRefresh(() => {
          d.dispose();
          resolve();
        });
      });
    let reset = refreshed();
    assert.equal(await vscode.commands.executeCommand('baton.clusters.switchContext', 'sim-ro'), 'sim-ro');
    await reset;
    assert.equal(settings().get('kubernetes.context'), 'sim-ro');
    const roots = await api.clusters.roots();
    assert.match(api.clusters.item(roots[2]).description, /^selected/);
    assert.doesNotMatch(api.clusters.item(roots[1]).description, /selected/);

    reset = refreshed();
    await settings().update('kubernetes.context', 'nowhere', vscode.ConfigurationTarget.Global);
    await reset;
    const bad = await api.clusters.roots();
    assert.deepEqual(bad.map((e) => e.kind), ['local', 'message', 'context', 'context']);
    assert.match(api.clusters.item(bad[1]).label, /unknown context "nowhere"/);

    reset = refreshed();
    await vscode.commands.executeCommand('baton.clusters.switchContext', 'sim');
    await reset;
    assert.match(api.clusters.item((await api.clusters.roots())[1]).description, /^selected/);
  });

  it('this machine lists the local session\'s applications, and reveals them both ways', async () => {
    await api.boot(vscode.Uri.file(path.join(REPO, 'examples/demo.baton.yaml')));
    const local = (await api.clusters.roots())[0];
    const apps = await api.clusters.children(local);
    const names = apps.map((e) => api.clusters.item(e).label);
    assert.deepEqual(names, api.session()!.tree.apps.map((a) => a.name));
    assert.match(api.clusters.item(apps[0]).description, /initial/);
    assert.match(api.clusters.item(local).description, new RegExp(`demo · ${names.length} apps`));

    const revealed = await vscode.commands.executeCommand<ClusterElement>('baton.clusters.revealPod', names[0]);
    assert.equal(revealed?.id, `local/${names[0]}`);
    await until('the Clusters view selects it', () => api.clusters.selection()[0]?.id === `local/${names[0]}`);
    const node = await vscode.commands.executeCommand<{ name: string }>('baton.clusters.revealApp', apps[1]);
    assert.equal(node?.name, names[1]);
    await api.close(false);
    assert.match(api.clusters.item(local).description, /no local session/);
  });

  it('a kubernetes session\'s pods show their node, pod status and FSM state, and reveal both ways', async () => {
    sim!.addNode({ name: 'felix-02', labels: { 'felix.cern/card': 'true' }, allocatable: { cpu: '16', memory: '64Gi', pods: '110', 'felix.cern/card': '1' } });
    sim!.addNode({ name: 'general-01' });
    const session = await api.boot(vscode.Uri.file(path.join(REPO, 'examples/kubernetes.baton.yaml')));
    assert.equal(session.config.backend, 'kubernetes');
    assert.equal(session.state, 'initial');
    const felix = (await find(ctxSim, 'ctx/sim/node/felix-01'))!;
    const pods = async (node: ClusterElement) => (await api.clusters.children(node)).map((e) => api.clusters.item(e));
    const onFelix = await until('a readout pod on felix-01 with its FSM state', async () => {
      const items = await pods(felix);
      return items.find((p) => /^ru-apa[12]$/.test(p.label) && p.description === `Running · initial · ${session.name}`);
    });
    assert.match(onFelix.contextValue, /\bin-session\b/);

    // Run Control -> Clusters: the pod of ru-apa2 is selected under whichever FELIX node it runs on.
    const revealed = await vscode.commands.executeCommand<ClusterElement>('baton.clusters.revealPod', 'ru-apa2');
    assert.ok(revealed && revealed.kind === 'pod', JSON.stringify(revealed));
    assert.match(revealed.id, /^ctx\/sim\/node\/felix-0[12]\/pod\/demo-k8s\/ru-apa2$/);
    await until('the Clusters view selects the pod', () => api.clusters.selection()[0]?.id === revealed.id);
    // Clusters -> Run Control.
    const app = await vscode.commands.executeCommand<{ name: string; path: string }>('baton.clusters.revealApp', revealed);
    assert.equal(app?.name, 'ru-apa2');

    // A transition shows on the pods as it happens.
    await api.run('conf');
    await until('the pod shows configured', async () => (await pods(felix)).some((p) => p.description === `Running · configured · ${session.name}`));
    // A picture of the Clusters view alone, wide enough to read (the Run Control view is hidden for it, then shown again).
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('baton.runControl.toggleVisibility');
    for (let i = 0; i < 8; i++) await vscode.commands.executeCommand('workbench.action.decreaseViewWidth');
    await vscode.commands.executeCommand('baton.clusters.focus');
    await vscode.commands.executeCommand('baton.clusters.revealPod', 'ru-apa1');
    await new Promise((r) => setTimeout(r, 1000));
    await screenshot('clusters');
    await vscode.commands.executeCommand('baton.runControl.toggleVisibility');
    for (let i = 0; i < 8; i++) await vscode.commands.executeCommand('workbench.action.increaseViewWidth');
    await api.close(false);
    await until('the session\'s pods are gone', async () => (await pods(felix)).every((p) => !/^ru-apa/.test(p.label)), 30_000);
  });
});
