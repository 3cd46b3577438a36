import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompletionItem, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { KubeClusterInfoProvider } from '../../src/core/backends/kubernetes/cluster-info-provider';
import { ClusterInventory } from '../../src/core/backends/kubernetes/cluster-inventory';
import { loadKubeAccess } from '../../src/core/backends/kubernetes/kube-access';
import { startSimCluster, type SimCluster } from '../support/kube-sim';
import { cursor, LspClient } from './lsp-client';

const config = (backend: string, selector: string, extra = '') => `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata:
  name: np04
spec:
  backend: ${backend}
${extra}  execs:
    daq-app: {command: daq_application}
  apps:
    - name: ru-01
      exec: daq-app
      placement:
        nodeSelector: {${selector}}
      resources: {limits: {felix.cern/card: 1}}
`;

const codes = (p: PublishDiagnosticsParams) => p.diagnostics.map((d) => d.code);
const has = (code: string) => (p: PublishDiagnosticsParams) => codes(p).includes(code);

/** The language server with the real Kubernetes cluster provider, over a real LSP connection, against the simulated cluster. */
describe('language server: cluster-aware validation against the simulated cluster', function () {
  this.timeout(30_000);
  let sim: SimCluster | undefined;
  let dir: string;
  let kubeconfig: string;
  let client: LspClient | undefined;
  let provider: KubeClusterInfoProvider | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-lsp-cluster-'));
    sim = await startSimCluster({
      nodes: [
        { name: 'felix-01', labels: { 'felix.cern/card': 'true' }, allocatable: { cpu: '16', memory: '64Gi', pods: '110', 'felix.cern/card': '1' } },
        { name: 'storage-01', labels: { storage: 'ssd' } },
      ],
    });
    kubeconfig = path.join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { context: 'sim' });
  });

  afterEach(async () => {
    await client?.dispose();
    client = undefined;
    provider?.dispose();
    provider = undefined;
  });

  after(async () => {
    await sim?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = async (settings: { kubeconfig?: string; enabled?: boolean; context?: string }) => {
    provider = new KubeClusterInfoProvider({ modules: () => ({ loadKubeAccess, ClusterInventory }), settings, env: {}, inventory: { retryMs: 50, maxRetryMs: 200, requestTimeoutMs: 2000 } });
    client = LspClient.inProcess({ cluster: provider, debounceMs: 10, env: {} });
    await client.initialize();
    return client;
  };

  it('warns once the nodes are known, and re-publishes when the cluster changes', async () => {
    const c = await start({ kubeconfig, enabled: true });
    const uri = 'file:///np04.baton.yaml';
    const text = config('kubernetes', 'felix.cern/card: "yes"');
    await c.open(uri, text);
    const warned = await c.diagnostics(uri, has('node-selector-no-match'));
    const d = warned.diagnostics.find((x) => x.code === 'node-selector-no-match')!;
    assert.equal(d.severity, 2);
    assert.equal(d.range.start.line, 12);
    assert.match(String(d.message), /no node of cluster "sim" has the label felix\.cern\/card=yes.*values of felix\.cern\/card there: true/);

    // A node with the label joins: the open document is checked again without an edit.
    const from = c.published.length;
    sim!.addNode({ name: 'felix-02', labels: { 'felix.cern/card': 'yes' }, allocatable: { cpu: '16', memory: '64Gi', pods: '110', 'felix.cern/card': '1' } });
    const clean = await c.diagnostics(uri, (p) => !has('node-selector-no-match')(p), from);
    assert.deepEqual(codes(clean), []);
  });

  it('completes node labels of the cluster, and leaves local configurations alone', async () => {
    const c = await start({ kubeconfig, enabled: true });
    const { text, pos } = cursor(config('kubernetes', '§'));
    await c.open('file:///a.baton.yaml', text);
    const keys = await c.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: 'file:///a.baton.yaml' }, position: pos });
    assert.ok(keys.some((k) => k.label === 'felix.cern/card'), JSON.stringify(keys.map((k) => k.label)));
    assert.ok(keys.some((k) => k.label === 'storage'));

    // Once the cluster is known (a kubernetes document is warned), a local one still gets no cluster warning.
    await c.open('file:///k.baton.yaml', config('kubernetes', 'felix.cern/card: "nowhere"'));
    await c.diagnostics('file:///k.baton.yaml', has('node-selector-no-match'));
    await c.open('file:///local.baton.yaml', config('local', 'felix.cern/card: "nowhere"'));
    const local = await c.diagnostics('file:///local.baton.yaml');
    assert.deepEqual(codes(local), []);
  });

  it('turns the checks off and on with the client\'s settings (workspace/didChangeConfiguration)', async () => {
    const c = await start({ kubeconfig, enabled: false });
    const uri = 'file:///np04.baton.yaml';
    await c.open(uri, config('kubernetes', 'felix.cern/card: "never"'));
    assert.deepEqual(codes(await c.diagnostics(uri)), []);
    const from = c.published.length;
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: { batonCluster: { kubeconfig, enabled: true } } });
    await c.diagnostics(uri, has('node-selector-no-match'), from);
    const off = c.published.length;
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: { batonCluster: { kubeconfig, enabled: false } } });
    assert.deepEqual(codes(await c.diagnostics(uri, () => true, off)), []);
  });

  it('an unknown context or an unreachable cluster means no placement warnings, and says so once', async () => {
    const c = await start({ kubeconfig, enabled: true, context: 'nowhere' });
    const uri = 'file:///np04.baton.yaml';
    const text = config('kubernetes', 'felix.cern/card: "yes"');
    await c.open(uri, text);
    // Said once, as information at the backend (the configuration names no context), not as a placement warning.
    const told = await c.diagnostics(uri, has('cluster-unavailable'));
    assert.deepEqual(codes(told), ['cluster-unavailable']);
    assert.equal(told.diagnostics[0].severity, 3);
    assert.equal(told.diagnostics[0].range.start.line, 5);
    assert.match(String(told.diagnostics[0].message), /^placement is not checked against the cluster: unknown context "nowhere"/);
    // A configuration naming a context the kubeconfig lacks hears it at that line.
    await c.open('file:///named.baton.yaml', config('kubernetes', 'rack: a', '  kubernetes: {context: typo-ctx}\n'));
    const named = await c.diagnostics('file:///named.baton.yaml', has('cluster-unavailable'));
    assert.equal(named.diagnostics[0].range.start.line, 6);
    assert.match(String(named.diagnostics[0].message), /unknown context "typo-ctx"/);

    const closed = path.join(dir, 'closed');
    fs.writeFileSync(closed, fs.readFileSync(kubeconfig, 'utf8').replace(sim!.url, 'http://127.0.0.1:1'));
    const from = c.published.length;
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: { batonCluster: { kubeconfig: closed, enabled: true } } });
    await c.change(uri, [{ text: config('kubernetes', 'felix.cern/card: "maybe"') }]);
    const down = await c.diagnostics(uri, has('cluster-unavailable'), from);
    assert.deepEqual(codes(down), ['cluster-unavailable']);
    assert.match(String(down.diagnostics[0].message), /cannot reach cluster "sim" at http:\/\/127\.0\.0\.1:1: connection refused/);
    const marked = cursor(config('kubernetes', '§'));
    await c.open('file:///b.baton.yaml', marked.text);
    assert.deepEqual(await c.request('textDocument/completion', { textDocument: { uri: 'file:///b.baton.yaml' }, position: marked.pos }), []);
  });

  it('dist/server.js reads the settings from initializationOptions and names the configuration\'s context', async () => {
    const c = LspClient.spawn();
    client = c;
    await c.request('initialize', { processId: null, rootUri: null, capabilities: {}, workspaceFolders: null, initializationOptions: { cluster: { kubeconfig, enabled: true, context: 'not-this-one' } } });
    await c.conn.sendNotification('initialized', {});
    const uri = 'file:///np04.baton.yaml';
    await c.open(uri, config('kubernetes', 'storage: hdd', '  kubernetes: {context: sim}\n'));
    const warned = await c.diagnostics(uri, has('node-selector-no-match'));
    assert.match(String(warned.diagnostics[0].message), /no node of cluster "sim" has the label storage=hdd.*values of storage there: ssd/);
  });
});
