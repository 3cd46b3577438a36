import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BatonApi } from '../../src/extension/extension';
import { REPO, screenshot, until } from './support/harness';


describe('Baton in a real VS Code extension host', () => {
  let api: BatonApi;

  before(async () => {
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'baton' && e.extensionPath === REPO);
    assert.ok(ext, `the Baton extension under development is not loaded (have: ${vscode.extensions.all.map((e) => e.id).join(', ')})`);
    api = (await ext.activate()) as BatonApi;
    assert.equal(typeof api.boot, 'function');
  });

  // Whatever happened, the extension host is killed after the tests: stop the applications first.
  after(async () => {
    await api?.close(false);
  });

  it('boots the demo, takes a run and shuts down, with the tree and status bar following', async () => {
    const config = vscode.Uri.file(path.join(REPO, 'examples/demo.baton.yaml'));
    const session = await api.boot(config);
    assert.equal(session.state, 'initial');
    const [root] = api.tree.roots();
    assert.equal(root.kind, 'root');
    assert.deepEqual(api.tree.children(root).map((n) => n.name), ['dataflow', 'trigger', 'readout']);
    const dataflow = api.tree.children(root)[0];
    assert.deepEqual(api.tree.children(dataflow).map((n) => n.name), ['dfo', 'df-01', 'df-02']);
    assert.match(api.statusBarText(), /demo/);
    const start = await api.run('start_run', { runType: 'TEST' });
    assert.equal('ok' in start && start.ok, true);
    assert.equal(api.session()?.state, 'running');
    const app = api.tree.children(dataflow)[1];
    assert.match(JSON.stringify(api.tree.item(app)), /running/);
    await vscode.commands.executeCommand('workbench.view.extension.baton');
    await new Promise((r) => setTimeout(r, 1500));
    await screenshot('run-control');
    await until('the status bar to say running', () => /running/.test(api.statusBarText()));
    const keys = api.contextKeys();
    assert.ok(Object.keys(keys).length > 0);
    await api.run('stop_run');
    await api.run('shutdown');
    assert.equal(api.session()?.state, 'none');
    await api.close(false);
  });

  it('publishes diagnostics of a broken configuration through the language server', async () => {
    const doc = await vscode.workspace.openTextDocument({
      language: 'baton',
      content: 'apiVersion: baton.dev/v1alpha1\nkind: RunConfig\nmetadata: {name: broken}\nspec:\n  timeout: 3s\n  execs: {a: {command: [x]}}\n  segments:\n    - name: s\n      apps: [{name: x, exec: a}]\n',
    });
    await vscode.window.showTextDocument(doc);
    const diags = await until('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(doc.uri);
      return d.length > 0 && d;
    });
    const unknown = diags.find((d) => d.code === 'unknown-key');
    assert.ok(unknown, JSON.stringify(diags.map((d) => d.code)));
    assert.equal(unknown.range.start.line, 4);
    assert.match(unknown.message, /did you mean "timeouts"/);
  });
});
