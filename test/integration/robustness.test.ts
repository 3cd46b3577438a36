// Bad input and faults in the real extension host: a broken configuration, a dying
// application, commands without a session or invoked twice at once, the timeout setting.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BatonApi } from '../../src/extension/extension';
import type { Notice } from '../../src/extension/notifications';
import { isAlive, waitFor, writeSystem, type TestSystem } from '../support/demo-system';

describe('Bad input and faults', function () {
  this.timeout(60_000);
  let api: BatonApi;
  let daqApp: string;
  let notices: Notice[] = [];
  let listening: vscode.Disposable | undefined;
  const dirs: string[] = [];

  before(async () => {
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'baton') as vscode.Extension<BatonApi> | undefined;
    assert.ok(ext, 'the Baton extension is not loaded');
    api = await ext.activate();
    daqApp = path.join(ext.extensionPath, 'dist/daq-app.js');
    listening = api.onDidNotify((n) => notices.push(n));
  });

  beforeEach(() => {
    notices = [];
  });

  afterEach(async () => {
    const pids = (api.session()?.processManager.list() ?? []).map((p) => p.pid);
    await api.close(false).catch(() => undefined);
    for (const pid of pids) if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  after(() => listening?.dispose());

  function system(sys: TestSystem) {
    const written = writeSystem({ execCommand: [process.execPath, daqApp], ...sys });
    dirs.push(written.dir);
    return written;
  }

  it('refuses to boot a configuration that does not validate, says why and jumps to the first error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-broken-'));
    dirs.push(dir);
    const file = path.join(dir, 'broken.baton.yaml');
    fs.writeFileSync(file, 'apiVersion: baton.dev/v1alpha1\nkind: RunConfig\nmetadata: {name: broken}\nspec:\n  execs: {a: {command: [x]}}\n  segments:\n    - name: s\n      apps: [{name: x, exec: nope}]\n');
    const result = await vscode.commands.executeCommand('baton.selectConfig', vscode.Uri.file(file));
    assert.equal(result, undefined);
    assert.equal(api.session(), undefined);
    const notice = await waitFor('the refusal', () => notices.find((n) => n.level === 'warning'), 10_000);
    assert.match(notice.text, /broken\.baton\.yaml cannot be booted: .*nope.*\(line 8\)/);
    const editor = await waitFor('the editor at the error', () => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.fsPath === file && e;
    }, 10_000);
    assert.equal(editor.selection.active.line, 7);
  });

  it('shows an application that dies in the tree (SIGKILL from outside)', async () => {
    const sys = system({ name: 'robust-death', segments: [{ name: 'seg', apps: [{ name: 'victim' }, { name: 'bystander' }] }] });
    const session = await api.boot(sys.file);
    assert.equal((await api.run('conf')).ok, true);
    const victim = session.tree.app('victim')!;
    const pid = session.processManager.info('victim')!.pid!;
    const refreshesBefore = api.tree.refreshCount;
    process.kill(pid, 'SIGKILL');
    const item = await waitFor('the tree item of the dead application to show the error', () => {
      const it = api.tree.treeItem(victim);
      return (it.iconPath as vscode.ThemeIcon).id === 'error' && api.tree.refreshCount > refreshesBefore && it;
    }, 10_000);
    assert.match(String(item.description), /process died/);
    assert.equal(session.tree.app('bystander')!.state, 'configured');
  });

  it('answers every command that needs a session with a clear message when there is none, and throws nothing', async () => {
    assert.equal(api.session(), undefined);
    const all = await vscode.commands.getCommands(true);
    const ids = [...all.filter((c) => c.startsWith('baton.step.')), 'baton.abort', 'baton.recover', 'baton.include', 'baton.exclude', 'baton.showLog', 'baton.copyReport', 'baton.closeSession'];
    assert.ok(ids.length > 14, ids.join(', '));
    for (const id of ids) {
      notices = [];
      const result = await vscode.commands.executeCommand(id);
      assert.equal(result, undefined, id);
      const notice = await waitFor(`the answer of ${id}`, () => notices[0], 5_000);
      assert.equal(notice.level, 'warning', `${id}: ${notice.text}`);
      assert.match(notice.text, /No Baton session|No execution report/, id);
    }
  });

  it('answers a transition invoked twice at once: the second is refused, the first completes', async () => {
    const sys = system({ name: 'robust-twice', segments: [{ name: 'seg', apps: [{ name: 'slow', args: ['--delay-ms', '1500'] }] }] });
    const session = await api.boot(sys.file);
    const first = vscode.commands.executeCommand<{ ok: boolean } | undefined>('baton.step.conf', { args: {} });
    const second = vscode.commands.executeCommand<{ ok: boolean } | undefined>('baton.step.conf', { args: {} });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a?.ok, true, 'the first conf did not complete');
    assert.equal(b, undefined);
    assert.equal(session.state, 'configured');
    const refusal = notices.find((n) => n.level === 'warning');
    assert.ok(refusal, JSON.stringify(notices));
    assert.match(refusal.text, /conf is in progress/);
  });

  it('applies baton.timeouts.default to applications whose configuration sets no timeout', async () => {
    const sys = system({ name: 'robust-timeout', segments: [{ name: 'seg', apps: [{ name: 'stuck', args: ['--hang-on', 'conf'] }] }] });
    // No default in the file (writeSystem puts one): the setting is the only default left.
    const doc = JSON.parse(fs.readFileSync(sys.file, 'utf8')) as { spec: { timeouts: Record<string, string> } };
    delete doc.spec.timeouts.default;
    fs.writeFileSync(sys.file, JSON.stringify(doc));
    await vscode.workspace.getConfiguration('baton').update('timeouts.default', '1s', vscode.ConfigurationTarget.Global);
    try {
      await api.boot(sys.file);
      const report = await api.run('conf');
      assert.equal(report.ok, false);
      const failures = 'failures' in report ? report.failures : [];
      assert.equal(failures[0]?.outcome, 'timeout', JSON.stringify(failures));
      assert.match(failures[0].reason ?? '', /within 1000 ms/);
    } finally {
      await vscode.workspace.getConfiguration('baton').update('timeouts.default', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
