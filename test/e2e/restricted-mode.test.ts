// An untrusted folder (workspace trust on, the person answers "No, I don't trust the
// authors"): the Run Control view explains Restricted Mode, validation still reports
// problems, and nothing is launched, not even the session the settings ask to reattach.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { demoConfigText } from '../../src/extension/demo-config';
import { guardExit, killLeftoversSync, recordedApps, stopLeftovers } from './support/session-processes';
import { REPO, until, Workbench } from './support/workbench';

describe('e2e: an untrusted workspace (Restricted Mode)', function () {
  let workspace: string;
  let wb: Workbench | undefined;
  let failed = false;
  // Interrupted (Ctrl-C), mocha exits without `after`: still kill anything that was launched.
  let guard: { dispose(): void } | undefined;

  before(async function () {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-e2e-untrusted-'));
    guard = guardExit(() => {
      killLeftoversSync(workspace, 'demo', []);
      fs.rmSync(workspace, { recursive: true, force: true });
    });
    fs.cpSync(path.join(__dirname, 'workspace'), workspace, { recursive: true });
    // A bootable demo that the workspace settings even name for reattaching on start-up.
    fs.writeFileSync(path.join(workspace, 'demo.baton.yaml'), demoConfigText(path.join(REPO, 'dist/daq-app.js')));
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.writeFileSync(path.join(workspace, '.vscode/settings.json'), JSON.stringify({ 'baton.defaultConfig': 'demo.baton.yaml' }));
    wb = await Workbench.launch({ workspace, trust: true, prefix: 'e2e-untrusted' });
  });

  // Each step builds on the one before: after a failure the rest could only time out.
  beforeEach(function () {
    if (failed) this.skip();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    if (wb && failed) await wb.screenshot('restricted-mode-failure').catch(() => undefined);
    await wb?.close(failed);
    if (workspace) {
      const left = await stopLeftovers(workspace, 'demo', []);
      if (left.length) console.error(`e2e: stopped applications that should never have started: ${left.join(', ')}`);
      fs.rmSync(workspace, { recursive: true, force: true });
    }
    guard?.dispose();
  });

  it('the person declines to trust the folder; the Run Control view explains Restricted Mode', async () => {
    const dialog = wb!.page.getByRole('dialog').filter({ hasText: 'Do you trust the authors of the files in this folder?' });
    await dialog.getByRole('button', { name: "No, I don't trust the authors" }).click();
    await dialog.waitFor({ state: 'hidden' });
    await wb!.page.locator('.statusbar-item').filter({ hasText: 'Restricted Mode' }).waitFor();

    await wb!.openBatonView();
    await wb!.welcome().getByText(/^Restricted Mode: Baton validates run configurations but launches nothing/).waitFor();
    await wb!.welcome().getByRole('button', { name: 'Manage Workspace Trust' }).waitFor();
    assert.equal(await wb!.welcome().getByRole('button', { name: 'Create the demo' }).count(), 0);
  });

  it('validation still works: the Problems panel lists the broken configuration\'s errors', async () => {
    await wb!.openFile('broken.baton.yaml');
    const rows = await until('problems of broken.baton.yaml', async () => {
      const r = await wb!.problems();
      return r.some((x) => /daq-ap/.test(x)) && r.some((x) => /timeout/.test(x)) && r;
    });
    assert.ok(rows.some((r) => /^Error: unknown key "timeout" in spec; did you mean "timeouts"\? at line 12 and character 3\b/.test(r)), rows.join('\n'));
    // The language features are up (diagnostics came), yet no "Boot with Baton" lens is offered.
    assert.equal(await wb!.page.locator('.codelens-decoration').filter({ hasText: 'Boot with Baton' }).count(), 0);
    await wb!.screenshot('restricted-mode');
  });

  it('the palette offers no command that launches, and nothing was launched', async () => {
    await wb!.openPalette();
    await wb!.page.keyboard.type('Baton: ');
    await wb!.option('Baton: Focus on Run Control View').waitFor();
    const offered = await wb!.options();
    for (const launching of ['Baton: Select and Boot Run Configuration…', 'Baton: Open Run Configuration Session (without Booting)…', 'Baton: Create the Demo', 'Baton: Boot']) {
      assert.ok(!offered.some((o) => o.startsWith(launching)), `${launching} is offered: ${offered.join(' | ')}`);
    }
    await wb!.closeQuickInput();

    // The default configuration was not reattached or opened: no session, no state, no process.
    assert.match(await wb!.statusText(), /^Baton$/);
    assert.equal(fs.existsSync(path.join(workspace, '.baton')), false, '.baton/ was created in an untrusted workspace');
    assert.deepEqual(await recordedApps(workspace, 'demo'), []);
  });
});
