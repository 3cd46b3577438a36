// Closing or reloading the window, as far as the extension host can play it: the exported
// API runs exactly what `deactivate` runs (simulateWindowClose) and what the next window's
// `activate` runs (reactivate); the applications are real processes checked by pid.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BatonApi } from '../../src/extension/extension';
import { isAlive, waitFor, writeSystem } from '../support/demo-system';

function batonExtension(): vscode.Extension<BatonApi> {
  const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'baton') as vscode.Extension<BatonApi> | undefined;
  assert.ok(ext, 'the Baton extension is not loaded');
  return ext;
}

/** The pids the session recorded for a later reattach (`.baton/sessions/<name>/processes.json`). */
function recordedPids(batonDir: string, session: string): number[] {
  const file = path.join(batonDir, 'sessions', session, 'processes.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { apps: Array<{ pid: number }> }).apps.map((a) => a.pid);
}

async function setOnWindowClose(value: 'keep' | 'terminate' | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('baton').update('onWindowClose', value, vscode.ConfigurationTarget.Global);
}

describe('Lifecycle: closing the window never orphans applications', function () {
  this.timeout(60_000);
  let api: BatonApi;
  let daqApp: string;
  const pids: number[] = [];
  const dirs: string[] = [];

  before(async () => {
    const ext = batonExtension();
    api = await ext.activate();
    daqApp = path.join(ext.extensionPath, 'dist/daq-app.js');
  });

  afterEach(async () => {
    await api.close(false).catch(() => undefined);
    await setOnWindowClose(undefined);
    // Whatever failed above, nothing this test started survives it.
    for (const pid of pids.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Boots two applications with the setting given; returns the pids the session recorded. */
  async function bootTwo(name: string, onWindowClose: 'keep' | 'terminate'): Promise<number[]> {
    await setOnWindowClose(onWindowClose);
    const sys = writeSystem({ name, execCommand: [process.execPath, daqApp], segments: [{ name: 'seg', apps: [{ name: 'a1' }, { name: 'a2' }] }] });
    dirs.push(sys.dir);
    await api.boot(sys.file);
    const recorded = recordedPids(sys.batonDir, name);
    pids.push(...recorded);
    assert.deepEqual(recorded.map(isAlive), [true, true]);
    return recorded;
  }

  it('with onWindowClose=keep the applications stay, and the next window reattaches showing their true state', async () => {
    const before = await bootTwo('lifecycle-keep', 'keep');
    assert.equal((await api.run('conf')).ok, true);

    await api.simulateWindowClose();
    assert.equal(api.session(), undefined);
    assert.deepEqual(before.map(isAlive), [true, true], 'the applications were stopped although the setting says keep');

    const session = await api.reactivate();
    assert.ok(session, 'the next window did not reattach');
    assert.equal(session.name, 'lifecycle-keep');
    assert.equal(session.state, 'configured');
    const [root] = api.tree.roots();
    assert.equal(api.tree.treeItem(root).label, 'lifecycle-keep');
    assert.match(String(api.tree.treeItem(root).description), /^configured/);
    const apps = api.tree.children(api.tree.children(root)[0]);
    assert.deepEqual(apps.map((a) => a.state), ['configured', 'configured']);
    assert.deepEqual(apps.map((a) => session.processManager.info(a.name)?.pid), before, 'reattached to other processes than the recorded ones');

    const start = await api.run('start_run', { runType: 'TEST' });
    assert.equal(start.ok, true, JSON.stringify(start));
    assert.equal(session.state, 'running');
    await waitFor('the tree to show running', () => String(api.tree.treeItem(api.tree.roots()[0]).description).includes('running'), 10_000);
    await api.run('stop_run');
    await api.run('shutdown');
    await waitFor('the applications to stop after shutdown', () => before.every((p) => !isAlive(p)), 10_000);
  });

  it('with onWindowClose=terminate closing the window stops every application, and nothing is reattached', async () => {
    const before = await bootTwo('lifecycle-terminate', 'terminate');

    await api.simulateWindowClose();
    assert.equal(api.session(), undefined);
    await waitFor('every application to be stopped', () => before.every((p) => !isAlive(p)), 10_000);
    assert.equal(await api.reactivate(), undefined);
  });

  it('a window whose kept applications died meanwhile does not pretend to reattach', async () => {
    const before = await bootTwo('lifecycle-lost', 'keep');
    await api.simulateWindowClose();
    for (const pid of before) process.kill(pid, 'SIGKILL');
    await waitFor('the applications to die', () => before.every((p) => !isAlive(p)), 10_000);
    assert.equal(await api.reactivate(), undefined);
    assert.equal(api.session(), undefined);
  });
});
