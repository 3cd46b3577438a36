/**
 * Extension benchmark, run inside a real VS Code extension host (bench/extension/run.mjs):
 *   - activation: `activate()` as measured inside it, and the extension host's whole
 *     activation of it (loading dist/extension.js included), timed around `ext.activate()`;
 *   - boot to tree: from `boot` of a 1,000-application farm session until the view's data
 *     provider has produced a tree item for every application in its booted state;
 *   - tree update rate: refreshes the view fired during `conf` over the 1,000 applications
 *     (completions spread over about a second), against animation frames (16.7 ms).
 * Prints figures, asserts nothing about time. Same run() contract as test/integration.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ControlNode } from '../../src/core/control/tree';
import type { BatonApi } from '../../src/extension/extension';
import { FarmProcessManager, openFarmSession } from '../../test/support/farm-process-manager';

const APPS = Number(process.env.BATON_BENCH_APPS ?? 1000);
const SEGMENTS = 10;
const FRAME_MS = 1000 / 60;

/** 1,000 farm members in 10 segments; conf takes 0..990 ms depending on the application. */
function farmConfig(apps: number): string {
  const per = Math.ceil(apps / SEGMENTS);
  const segs: string[] = [];
  for (let s = 0; s < SEGMENTS; s++) {
    const lines: string[] = [];
    for (let i = s * per; i < Math.min(apps, (s + 1) * per); i++) {
      lines.push(`        - {name: farm-${String(i).padStart(4, '0')}, exec: farm, commands: {conf: {simulate: {delay_ms: ${(i * 37) % 1000}}}}}`);
    }
    if (lines.length) segs.push(`    - name: seg-${s}\n      apps:\n${lines.join('\n')}`);
  }
  return `apiVersion: baton.dev/v1alpha1\nkind: RunConfig\nmetadata: {name: bench}\nspec:\n  execs:\n    farm: {command: [unused]}\n  timeouts: {default: 60s}\n  segments:\n${segs.join('\n')}\n`;
}

/** Every node the view would show, each turned into its real vscode.TreeItem. */
function walkTree(api: BatonApi): { apps: number; items: vscode.TreeItem[] } {
  const items: vscode.TreeItem[] = [];
  let apps = 0;
  const visit = (nodes: ControlNode[]) => {
    for (const n of nodes) {
      items.push(api.tree.treeItem(n));
      if (n.kind === 'app') apps++;
      else visit(api.tree.children(n));
    }
  };
  visit(api.tree.roots());
  return { apps, items };
}

const fmt = (ms: number) => ms.toFixed(1);

export async function run(): Promise<void> {
  const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'baton');
  if (!ext) throw new Error('the Baton extension is not loaded');
  const wasActive = ext.isActive;
  const t0 = performance.now();
  const api = (await ext.activate()) as BatonApi;
  const hostActivateMs = performance.now() - t0;
  console.log(`activation: activate() body ${fmt(api.activationMs)} ms; ext.activate() with loading dist/extension.js ${wasActive ? 'n/a (already active)' : `${fmt(hostActivateMs)} ms`}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-ext-'));
  const pm = new FarmProcessManager({ daqApp: path.join(ext.extensionPath, 'dist/daq-app.js'), name: 'farm', count: APPS });
  let treeMs = NaN;
  try {
    // The farm's 1,000 servers start before the clock: this measures run control and the view, not Node start-up.
    await pm.launch();
    const handle = await openFarmSession(farmConfig(APPS), dir, pm);
    const { session } = handle;
    api.adopt(handle);
    await vscode.commands.executeCommand('workbench.view.extension.baton');

    const bootStart = performance.now();
    const refreshed = nextRefreshAfter(api, () => session.busy === undefined);
    const boot = await api.run('boot');
    if (!boot.ok) throw new Error(`boot failed: ${JSON.stringify('failures' in boot ? boot.failures.slice(0, 3) : boot)}`);
    const bootDone = performance.now();
    await refreshed;
    const { apps, items } = walkTree(api);
    treeMs = performance.now() - bootStart;
    const booted = session.tree.apps.filter((a) => a.state === 'initial').length;
    if (apps !== APPS || booted !== APPS) throw new Error(`the tree shows ${apps} applications, ${booted} booted; expected ${APPS}`);
    console.log(`boot to tree: ${APPS} applications booted in ${fmt(bootDone - bootStart)} ms; tree of ${items.length} items (all ${apps} applications) shown after ${fmt(treeMs)} ms`);

    const stamps: number[] = [];
    const sub = api.tree.onDidRefresh(() => stamps.push(performance.now()));
    const before = api.tree.refreshCount;
    const confStart = performance.now();
    const conf = await api.run('conf');
    const confMs = performance.now() - confStart;
    await new Promise((r) => setTimeout(r, 50));
    sub.dispose();
    if (!conf.ok) throw new Error('conf failed');
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
    const minGap = gaps.length ? Math.min(...gaps) : NaN;
    const refreshes = api.tree.refreshCount - before;
    console.log(
      `tree updates during conf of ${APPS} applications: ${refreshes} refreshes in ${fmt(confMs)} ms = ${(refreshes / (confMs / 1000)).toFixed(1)}/s ` +
        `(${Math.ceil(confMs / FRAME_MS)} animation frames); shortest gap between refreshes ${fmt(minGap)} ms`,
    );
    await api.run('shutdown');
  } finally {
    await api.close(false).catch(() => undefined);
    await pm.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`RESULT extension activate_ms=${fmt(wasActive ? api.activationMs : hostActivateMs)} tree_${APPS}_ms=${fmt(treeMs)}`);
}

/** Resolves at the first refresh of the view once `ready()` holds (the transition is over). */
function nextRefreshAfter(api: BatonApi, ready: () => boolean): Promise<number> {
  return new Promise((resolve) => {
    const sub = api.tree.onDidRefresh(() => {
      if (!ready()) return;
      sub.dispose();
      resolve(performance.now());
    });
  });
}
