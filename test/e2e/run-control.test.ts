// A person at a real VS Code (code-server in headless Chromium): clicks the Baton icon,
// creates and boots the demo, expands the tree, takes a run from the command palette by
// typing, reads the tree and the status bar off the page, reads the Problems panel of a
// broken configuration, reloads the window with the session running and finds it
// reattached, shuts down from the status bar's quick pick, and leaves no application
// process behind.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RecordedProcess } from '../../src/core/backends/local/process-record';
import { guardExit, killLeftoversSync, recordedApps, running, stopLeftovers } from './support/session-processes';
import { REPO, until, Workbench } from './support/workbench';

const APPS = ['dfo', 'df-01', 'mlt', 'hsi', 'ru-apa1', 'ru-apa2'];
const SEGMENTS = ['dataflow', 'trigger', 'readout'];
// The README's picture is refreshed only on request, so a test run leaves the tree clean.
const README_PICTURE = process.env.BATON_UPDATE_README_PICTURE ? path.join(REPO, 'docs/images/run-control.png') : undefined;

describe('e2e: run control as a person uses it', function () {
  let workspace: string;
  let wb: Workbench | undefined;
  /** Every application process seen during the tests, to be sure none outlives them. */
  const seen = new Map<number, RecordedProcess>();
  const remember = (apps: RecordedProcess[]) => apps.forEach((a) => seen.set(a.pid, a));
  let failed = false;
  // Interrupted (Ctrl-C), mocha exits without `after`: still kill the applications.
  let guard: { dispose(): void } | undefined;

  before(async function () {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-e2e-'));
    guard = guardExit(() => {
      killLeftoversSync(workspace, 'demo', seen.values());
      fs.rmSync(workspace, { recursive: true, force: true });
    });
    fs.cpSync(path.join(__dirname, 'workspace'), workspace, { recursive: true });
    wb = await Workbench.launch({ workspace, settings: { 'baton.onWindowClose': 'keep' } });
  });

  // Each step builds on the one before: after a failure the rest could only time out.
  beforeEach(function () {
    if (failed) this.skip();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    if (wb && failed) await wb.screenshot('run-control-failure').catch(() => undefined);
    await wb?.close(failed);
    if (workspace) {
      const left = await stopLeftovers(workspace, 'demo', [...seen.values()]);
      if (left.length) console.error(`e2e: stopped applications left running: ${left.join(', ')}`);
      fs.rmSync(workspace, { recursive: true, force: true });
    }
    guard?.dispose();
  });

  it('the Baton icon opens the Run Control view with its welcome', async () => {
    await wb!.openBatonView();
    await wb!.welcome().getByText('No run configuration is open.').waitFor();
    await wb!.welcome().getByRole('button', { name: 'Open a run configuration' }).waitFor();
    assert.match(await wb!.statusText(), /Baton/);
  });

  it('"Create the demo", then the CodeLens boots it; expanding the tree shows every application', async () => {
    await wb!.welcome().getByRole('button', { name: 'Create the demo' }).click();
    await wb!.page.getByRole('tab', { name: /^demo\.baton\.yaml/ }).waitFor();
    await wb!.page.locator('.codelens-decoration a', { hasText: 'Boot with Baton' }).click();

    await wb!.treeItem('demo', /^initial · 6 apps$/).waitFor();
    for (const seg of SEGMENTS) await wb!.expand(seg);
    for (const app of APPS) await wb!.treeItem(app, /^initial · 127\.0\.0\.1:\d+ · pid \d+$/).waitFor();
    const rows = await wb!.treeRows();
    assert.deepEqual(
      rows.map((r) => r.split(' ')[0]),
      ['demo', 'dataflow', 'dfo', 'df-01', 'trigger', 'mlt', 'hsi', 'readout', 'ru-apa1', 'ru-apa2'],
    );
    assert.match(await wb!.statusText(), /^demo: initial$/);

    const apps = await recordedApps(workspace, 'demo');
    remember(apps);
    assert.deepEqual(apps.map((a) => a.name).sort(), [...APPS].sort());
    assert.ok(apps.every(running), 'every booted application runs');
    // The pid the tree shows is the process Baton recorded.
    const df01 = apps.find((a) => a.name === 'df-01')!;
    await wb!.treeItem('df-01', new RegExp(`:${df01.port} · pid ${df01.pid}$`)).waitFor();
  });

  it('"Baton: Start Run" typed in the palette asks for run type and number, and the run starts', async () => {
    await wb!.runCommand('Baton: Start Run');
    await wb!.waitForPrompt('Baton: start_run: run type');
    assert.deepEqual(await wb!.options(), ['TEST', 'PROD']);
    await wb!.pick('TEST');
    await wb!.waitForPrompt('Baton: start_run: run number');
    assert.match(await wb!.promptMessage(), /Next free run number: 1\b/);
    assert.equal(await wb!.inputValue(), '1');
    await wb!.accept();

    await wb!.treeItem('demo', /^running · 6 apps$/).waitFor();
    for (const app of APPS) await wb!.treeItem(app, /^running · 127\.0\.0\.1:\d+ · pid \d+$/).waitFor();
    await until('the status bar to show the run', async () => /^demo: running · run 1 \d\d:\d\d$/.test(await wb!.statusText()));
    // The picture in the README: the tree expanded with every application running (wide
    // enough to read each one's endpoint and pid), the status bar with the run.
    await wb!.resizeSideBar(480);
    await wb!.page.keyboard.press('Control+1');
    await wb!.screenshot('running', README_PICTURE);
  });

  it('a broken configuration shows its problems in the Problems panel, at the right lines', async () => {
    await wb!.openFile('broken.baton.yaml');
    const rows = await until('problems of broken.baton.yaml', async () => {
      const r = await wb!.problems();
      return r.some((x) => /daq-ap/.test(x)) && r.some((x) => /timeout/.test(x)) && r;
    });
    const unknownKey = rows.find((r) => /unknown key "timeout" in spec; did you mean "timeouts"\?/.test(r));
    assert.ok(unknownKey, rows.join('\n'));
    assert.match(unknownKey, /^Error: .* at line 12 and character 3\b/);
    const unknownExec = rows.find((r) => /exec "daq-ap" which is not defined/.test(r));
    assert.ok(unknownExec, rows.join('\n'));
    assert.match(unknownExec, /^Error: .* at line 16 and character \d+\b/);
    await wb!.screenshot('problems');
  });

  it('reloading the window with baton.onWindowClose "keep" reattaches: the view shows the session still running', async () => {
    const before = await recordedApps(workspace, 'demo');
    remember(before);
    // Nothing to configure: the window remembers which configuration it had open.
    await wb!.reloadWindow();
    await wb!.openBatonView();
    await wb!.treeItem('demo', /^running · 6 apps$/).waitFor({ timeout: 60_000 });
    for (const seg of SEGMENTS) await wb!.expand(seg);
    for (const app of APPS) await wb!.treeItem(app, /^running · 127\.0\.0\.1:\d+ · pid \d+$/).waitFor();
    await until('the status bar to show run 1 again', async () => /^demo: running · run 1 \d\d:\d\d$/.test(await wb!.statusText()));

    // The same processes, not new ones: the tree shows the pids that ran before the reload.
    const after = await recordedApps(workspace, 'demo');
    assert.deepEqual(after.map((a) => [a.name, a.pid]).sort(), before.map((a) => [a.name, a.pid]).sort());
    assert.ok(after.every(running));
    const df01 = after.find((a) => a.name === 'df-01')!;
    await wb!.treeItem('df-01', new RegExp(`pid ${df01.pid}$`)).waitFor();
    await wb!.screenshot('reattached');
  });

  it('the status bar item offers what the running session allows; "shutdown" leaves no process', async () => {
    const apps = await recordedApps(workspace, 'demo');
    remember(apps);
    assert.equal(apps.length, APPS.length);
    await wb!.statusItem().click();
    await wb!.waitForPrompt(/^Baton: demo is running/);
    const offered = await wb!.optionLabels();
    for (const step of ['stop_run', 'shutdown', 'abort']) assert.ok(offered.includes(step), `${step} is not offered: ${offered.join(', ')}`);
    for (const step of ['boot', 'conf', 'start_run']) assert.ok(!offered.includes(step), `${step} is offered while running: ${offered.join(', ')}`);
    await wb!.pick('shutdown');
    await wb!.treeItem('demo', /^none · 6 apps$/).waitFor();
    await until('the status bar to show none', async () => /^demo: none$/.test(await wb!.statusText()));
    await until('every application process to be gone', () => [...seen.values()].every((a) => !running(a)));
    await wb!.screenshot('shut-down');
  });
});
