import assert from 'node:assert/strict';
import type { CompletionItem } from 'vscode-languageserver-protocol';
import type { ClusterInfoProvider } from '../../src/core/config/services';
import { cursor, LspClient } from './lsp-client';

const CONFIG = `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata:
  name: np04
spec:
  backend: kubernetes
  execs:
    daq-app: {command: daq_application}
  apps:
    - name: ru-01
      exec: daq-app
      placement:
        nodeSelector:
          §
        antiAffinity:
          - apps: [ru-02, ru-03]
    - {name: ru-02, exec: daq-app, placement: {antiAffinity: [{apps: [ru-03]}]}}
    - {name: ru-03, exec: daq-app}
`;

/** The server in this process, so a test can hand it a cluster the Kubernetes backend would provide. */
describe('language server with a cluster provider (in process)', () => {
  let client: LspClient | undefined;
  afterEach(async () => {
    await client?.dispose();
    client = undefined;
  });

  const start = async (cluster: ClusterInfoProvider) => {
    client = LspClient.inProcess({ cluster, debounceMs: 10, env: {} });
    await client.initialize();
    return client;
  };

  it('completes node label keys and values under nodeSelector, asking the cluster only there', async () => {
    let asked = 0;
    const c = await start({
      nodeLabels: () => {
        asked++;
        return Promise.resolve({ 'felix.cern/card': ['true'], 'kubernetes.io/hostname': ['np04-srv-001'] });
      },
    });
    const { text, pos } = cursor(CONFIG);
    await c.open('file:///np04.baton.yaml', text);
    const keys = await c.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: 'file:///np04.baton.yaml' }, position: pos });
    assert.deepEqual(keys.map((k) => k.label), ['felix.cern/card', 'kubernetes.io/hostname']);
    const valued = cursor(CONFIG.replace('§', 'felix.cern/card: §'));
    await c.open('file:///np04b.baton.yaml', valued.text);
    const values = await c.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: 'file:///np04b.baton.yaml' }, position: valued.pos });
    assert.deepEqual(values.map((k) => k.label), ['true']);
    await c.request('textDocument/completion', { textDocument: { uri: 'file:///np04.baton.yaml' }, position: { line: 5, character: 11 } });
    assert.equal(asked, 2);
  });

  it('still completes when the cluster cannot be reached', async () => {
    const c = await start({ nodeLabels: () => Promise.reject(new Error('connection refused')) });
    const { text, pos } = cursor(CONFIG);
    await c.open('file:///np04.baton.yaml', text);
    assert.deepEqual(await c.request('textDocument/completion', { textDocument: { uri: 'file:///np04.baton.yaml' }, position: pos }), []);
    const backend = await c.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: 'file:///np04.baton.yaml' }, position: { line: 5, character: 11 } });
    assert.deepEqual(backend.map((k) => k.label), ['local', 'kubernetes']);
  });

  it('checks anti-affinity against the node count the cluster reports', async () => {
    const text = CONFIG.replace('        nodeSelector:\n          §\n', '');
    const two = await start({ nodeLabels: () => undefined, nodeCount: () => 2 });
    await two.open('file:///np04.baton.yaml', text);
    const tight = await two.diagnostics('file:///np04.baton.yaml');
    assert.deepEqual(tight.diagnostics.map((d) => d.code), ['anti-affinity-unschedulable']);
    await two.dispose();
    const three = await start({ nodeLabels: () => undefined, nodeCount: () => 3 });
    await three.open('file:///np04.baton.yaml', text);
    assert.deepEqual((await three.diagnostics('file:///np04.baton.yaml')).diagnostics, []);
  });
});
