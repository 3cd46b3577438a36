import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BatonApi } from '../../src/extension/extension';
import { FarmProcessManager, openFarmSession } from '../support/farm-process-manager';
import type { DashboardMessage, SnapshotMessage } from '../../src/extension/dashboard/dashboard-feed';
import { REPO, screenshot, until } from './support/harness';

const DEMO_APPS = ['dataflow/dfo', 'dataflow/df-01', 'dataflow/df-02', 'trigger/mlt', 'trigger/hsi', 'readout/ru-apa1', 'readout/ru-apa2'];

/** Every bar the extension posted for the transition called `name` (snapshot and deltas). */
function postedBars(messages: readonly DashboardMessage[], name: string): Set<string> {
  const ids = new Set<number>();
  const paths = new Set<string>();
  for (const m of messages) {
    if (m.type === 'snapshot') {
      for (const t of m.timeline.filter((t) => t.name === name)) {
        ids.add(t.id);
        t.bars.forEach((b) => paths.add(b.path));
      }
    } else if (m.type === 'delta' && m.timeline) {
      for (const t of m.timeline.transitions) if (t.name === name) ids.add(t.id);
      for (const { id, bar } of m.timeline.bars) if (ids.has(id)) paths.add(bar.path);
    }
  }
  return paths;
}

describe('Baton dashboard and application logs in a real VS Code', () => {
  let api: BatonApi;

  before(async () => {
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'baton' && e.extensionPath === REPO);
    assert.ok(ext, 'the Baton extension under development is not loaded');
    api = (await ext.activate()) as BatonApi;
    api.dashboard.record(true);
  });

  after(async () => {
    api?.dashboard.record(false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await api?.close(false);
  });

  it('shows the session under a strict CSP: FSM, tree, and one timeline bar per application', async () => {
    await api.boot(vscode.Uri.file(path.join(REPO, 'examples/demo.baton.yaml')));
    await vscode.commands.executeCommand('baton.openDashboard');
    await api.dashboard.open();

    const html = api.dashboard.html();
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    assert.ok(csp, 'the page declares a Content-Security-Policy');
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name, values]));
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.equal(directives.get('script-src')?.length, 1);
    assert.match(directives.get('script-src')![0], /^'nonce-[A-Za-z0-9_-]{16,}'$/);
    assert.deepEqual([...directives.keys()].sort(), ['default-src', 'img-src', 'script-src', 'style-src']);
    for (const [name, values] of directives) {
      for (const v of values) {
        // Only the webview's own resource origin, data: images, the nonce: no wildcard scheme, no plain http, nothing unsafe.
        assert.doesNotMatch(v, /unsafe|^https?:$|^\*$|^http:\/\//, `${name} allows ${v}`);
      }
    }
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.ok(scripts.length > 0);
    for (const s of scripts) assert.ok(s.includes(`nonce="${nonce}"`) && /src="[^"]+dashboard\.js"/.test(s), `script without the nonce or inline: ${s}`);
    assert.doesNotMatch(html, /<style|style=/, 'no inline style');
    const resources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(resources.map((r) => r.replace(/^.*\/media\//, 'media/')).sort(), ['media/dashboard/dashboard.css', 'media/dashboard/dashboard.js']);

    const snapshot = await until('the snapshot', () => api.dashboard.posted().find((m): m is SnapshotMessage => m.type === 'snapshot'));
    assert.equal(snapshot.session.state, 'initial');
    assert.deepEqual(snapshot.nodes.filter((n) => n.kind === 'app').map((n) => n.path), DEMO_APPS);
    const session = api.session()!;
    assert.deepEqual(snapshot.layout.boxes.filter((b) => !b.pseudo).map((b) => b.id).sort(), [...session.fsm.states].sort());

    // What the webview's script drew, read back from its DOM.
    const drawn = await until('the webview to draw the session', () => {
      const r = api.dashboard.rendered();
      return r && r.apps === 7 && r.currentBox === 'initial' && r;
    });
    assert.equal(drawn.fsmBoxes, session.fsm.states.length);
    assert.ok(drawn.fsmEdges >= session.fsm.transitionNames.length - 1, `${drawn.fsmEdges} edges drawn`);
    assert.deepEqual(drawn.timeline.map((t) => t.name), ['boot'], 'the boot was recorded before the dashboard opened');

    const run = await api.run('start_run', { runType: 'TEST' });
    assert.equal(run.ok, true);
    for (const name of ['conf', 'start', 'enable_triggers']) {
      assert.deepEqual([...postedBars(api.dashboard.posted(), name)].sort(), [...DEMO_APPS].sort(), `bars posted for ${name}`);
    }
    const after = await until('the webview to draw the run', () => {
      const r = api.dashboard.rendered();
      return r && r.currentBox === 'running' && r.timeline.length === 4 && r.selected === 'enable_triggers' && r;
    });
    assert.deepEqual(after.timeline.map((t) => [t.name, t.bars]), [['boot', 7], ['conf', 7], ['start', 7], ['enable_triggers', 7]]);
    // ru-apa1 takes 700 ms to configure in the demo, the others at most 250 ms.
    assert.equal(after.timeline[1].slowest, 'readout/ru-apa1');
    assert.equal(after.shownBars, 7);
    assert.equal(after.firstBar, 'dataflow/dfo', 'a few applications are shown in tree order');
    await new Promise((r) => setTimeout(r, 500));
    await screenshot('dashboard');
  });

  it("opens an application's log in an editor that follows it as the application writes", async () => {
    assert.equal(api.session()?.state, 'running');
    await vscode.commands.executeCommand('baton.showLog', 'readout/ru-apa1');
    const editor = await until('the log editor', () => vscode.window.activeTextEditor?.document.uri.scheme === 'baton-log' && vscode.window.activeTextEditor);
    const doc = editor.document;
    assert.equal(path.basename(doc.uri.path), 'ru-apa1.log');
    // The log is appended across boots: look at what this boot wrote (after Baton's start marker).
    const thisBoot = () => doc.getText().slice(doc.getText().lastIndexOf('--- baton: '));
    assert.match(thisBoot(), /"enable_triggers" done/);
    assert.doesNotMatch(thisBoot(), /command "disable_triggers"/);
    assert.ok(api.logs.following() >= 1);

    await api.run('stop_run');
    await until('the log to show the stop commands', () => /"stop" done, state CONFIGURED/.test(thisBoot()));
    assert.match(thisBoot(), /command "disable_triggers" received/);
    // The editor was at the end, so it follows: the last line is in view.
    await until('the editor to scroll to the end', () => editor.visibleRanges.at(-1)!.end.line >= doc.lineCount - 2);
    await screenshot('log-follow');

    // Closing the editor stops watching the file (VS Code may keep the document a while)...
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await until('the follower to stop', () => api.logs.following() === 0);
    // ...and showing it again follows it again, from what the file holds now.
    await api.run('scrap');
    await vscode.commands.executeCommand('baton.showLog', 'readout/ru-apa1');
    await until('the log to follow again', () => api.logs.following() === 1 && /"scrap" done, state INITIAL/.test(thisBoot()));

    // A reader who scrolled up to read stays where they are while lines keep coming.
    const again = await until('the log editor', () => vscode.window.activeTextEditor?.document === doc && vscode.window.activeTextEditor);
    // A fresh log is shorter than the editor: configure and scrap until it has to scroll.
    while (doc.lineCount <= 60) {
      const n = doc.lineCount;
      await api.run('conf');
      await api.run('scrap');
      await until('the log to grow', () => doc.lineCount > n);
    }
    again.revealRange(new vscode.Range(0, 0, 0, 0), vscode.TextEditorRevealType.AtTop);
    await until('the editor to show the top', () => again.visibleRanges[0].start.line === 0);
    const lines = doc.lineCount;
    await api.run('conf');
    await until('the conf lines', () => doc.lineCount > lines && /"conf" done, state CONFIGURED\n[^]*$/.test(thisBoot().split('"scrap" done')[1] ?? ''));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(again.visibleRanges[0].start.line, 0, 'still at the top');
  });

  it('contributes a "Get started" walkthrough whose steps, commands and pages exist', async () => {
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'baton' && e.extensionPath === REPO)!;
    const contributes = ext.packageJSON.contributes as {
      commands: Array<{ command: string }>;
      walkthroughs: Array<{ id: string; steps: Array<{ id: string; description: string; media: { markdown?: string }; completionEvents: string[] }> }>;
    };
    const [walkthrough] = contributes.walkthroughs;
    assert.equal(walkthrough.id, 'baton.getStarted');
    const commands = new Set([...contributes.commands.map((c) => c.command), 'workbench.view.extension.baton']);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const step of walkthrough.steps) {
      assert.ok(fs.existsSync(path.join(REPO, step.media.markdown!)), `${step.id}: ${step.media.markdown} exists`);
      for (const ev of step.completionEvents) {
        const cmd = /^onCommand:(.+)$/.exec(ev)?.[1];
        if (cmd) assert.ok(commands.has(cmd) && registered.has(cmd), `${step.id}: ${cmd} is a registered command`);
      }
      for (const [, cmd] of step.description.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(registered.has(cmd), `${step.id}: button runs ${cmd}`);
    }
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${ext.id}#baton.getStarted`, false);
    await new Promise((r) => setTimeout(r, 1000));
    await screenshot('walkthrough');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('marks the transition in progress on the diagram and the timeline while applications work', async () => {
    await api.close(false);
    // The demo with one application that takes 4 s to configure, in a directory of its own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-dashboard-'));
    const text = fs
      .readFileSync(path.join(REPO, 'examples/demo.baton.yaml'), 'utf8')
      .replace('name: demo', 'name: demo-slow')
      .replace('cwd: ..', `cwd: ${JSON.stringify(REPO)}`)
      .replace('--delay, "conf=700"', '--delay, "conf=4000"');
    const file = path.join(dir, 'slow.baton.yaml');
    fs.writeFileSync(file, text);
    try {
      await api.boot(vscode.Uri.file(file));
      await api.dashboard.open();
      const conf = api.run('conf');
      const drawn = await until('the webview to show conf in progress', () => {
        const r = api.dashboard.rendered();
        return r && r.targetBox === 'configured' && r.activeEdge === 'conf' && r.runningBars === 1 && r;
      });
      assert.equal(drawn.currentBox, 'initial', 'still in the state it started from');
      assert.equal(drawn.selected, 'conf');
      await screenshot('dashboard-in-progress');
      assert.equal((await conf).ok, true);
      const after = await until('the webview to show the end of conf', () => {
        const r = api.dashboard.rendered();
        return r && r.currentBox === 'configured' && r.runningBars === 0 && r;
      });
      assert.equal(after.targetBox, undefined);
      assert.equal(after.timeline.at(-1)!.slowest, 'readout/ru-apa1');
      await screenshot('dashboard-slow-conf');

      // The same page in a dark and a high-contrast theme (colours come from the theme's variables).
      const workbench = vscode.workspace.getConfiguration('workbench');
      try {
        for (const [theme, kind] of [['Default Dark Modern', 'vscode-dark'], ['Default High Contrast', 'vscode-high-contrast']]) {
          await workbench.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
          await until(`the webview in ${theme}`, () => api.dashboard.rendered()?.theme.split(/\s+/).includes(kind));
          await new Promise((r) => setTimeout(r, 300));
          await screenshot(`dashboard-${kind.slice('vscode-'.length)}`);
        }
      } finally {
        await workbench.update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
      }
    } finally {
      await api.close(false);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps up with a 1,000-application session: every application drawn, deltas at most once a frame', async () => {
    const APPS = 1000;
    const segs: string[] = [];
    for (let s = 0; s < 10; s++) {
      const apps: string[] = [];
      for (let i = s * 100; i < (s + 1) * 100; i++) {
        // One application takes 4 s to configure, the others up to 0.2 s (plus queueing in the farm under load).
        const delay = i === 537 ? 4000 : (i * 37) % 200;
        apps.push(`        - {name: farm-${String(i).padStart(4, '0')}, exec: farm, commands: {conf: {simulate: {delay_ms: ${delay}}}}}`);
      }
      segs.push(`    - name: seg-${s}\n      apps:\n${apps.join('\n')}`);
    }
    const yaml = `apiVersion: baton.dev/v1alpha1\nkind: RunConfig\nmetadata: {name: farm}\nspec:\n  execs:\n    farm: {command: [unused]}\n  timeouts: {default: 60s}\n  segments:\n${segs.join('\n')}\n`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-dashboard-farm-'));
    const pm = new FarmProcessManager({ daqApp: path.join(REPO, 'dist/daq-app.js'), name: 'farm', count: APPS });
    try {
      api.adopt(await openFarmSession(yaml, dir, pm));
      await api.dashboard.open();
      assert.equal((await api.run('boot')).ok, true);
      const posted = api.dashboard.posted().length;
      assert.equal((await api.run('conf')).ok, true);
      const drawn = await until('the webview to draw 1,000 configured applications', () => {
        const r = api.dashboard.rendered();
        return r && r.apps === APPS && r.currentBox === 'configured' && r.timeline.at(-1)?.name === 'conf' && r.runningBars === 0 && r;
      });
      assert.equal(drawn.nodes, 1 + 10 + APPS);
      assert.deepEqual(drawn.timeline.map((t) => [t.name, t.bars]), [['boot', APPS], ['conf', APPS]]);
      assert.equal(drawn.timeline[1].slowest, 'seg-5/farm-0537');
      assert.equal(drawn.shownBars, 60, 'the 60 slowest of 1,000 bars are drawn');
      assert.equal(drawn.firstBar, 'seg-5/farm-0537', 'slowest first when there are many');
      const deltas = api.dashboard.posted().slice(posted).filter((m) => m.type === 'delta') as Array<{ now: number }>;
      for (let i = 1; i < deltas.length; i++) assert.ok(deltas[i].now - deltas[i - 1].now >= 15, `deltas ${i - 1} and ${i} too close`);
      console.log(`      dashboard: conf of ${APPS} applications reached the webview in ${deltas.length} deltas`);
      await new Promise((r) => setTimeout(r, 300));
      await screenshot('dashboard-1000');
    } finally {
      await api.close(false).catch(() => undefined);
      await pm.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
