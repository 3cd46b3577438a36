// A page object for the VS Code workbench as a person sees it: the activity bar, the
// Run Control view, the command palette, quick picks and input boxes, the status bar and
// the Problems panel. Everything is found by ARIA role and label where VS Code provides
// them, and every wait is a condition, never a fixed sleep.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LaunchedWorkbench, LaunchOptions } from '../../../scripts/vscode-host/launch.mjs' with { 'resolution-mode': 'import' };
import type { Locator, Page } from './playwright';

export const REPO = path.resolve(__dirname, '../../..');
export const RESULTS_DIR = path.join(REPO, 'test-results', 'e2e');

/** Polls an (async) condition until it yields a truthy value; the error names what was awaited. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false | null> | T | undefined | false | null, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** How a `$(icon)` in a quick pick label reads in its aria-label: the icon id and two spaces. */
const CODICON = /[a-z][a-z0-9~-]* {2}/;
/** The same in an accessible name, where Playwright collapses white space. */
const CODICON_NAME = /[a-z][a-z0-9~-]* /;

export class Workbench {
  private constructor(
    private readonly launched: LaunchedWorkbench<Page>,
    readonly page: Page,
  ) {}

  /** code-server + Chromium on a workspace, with this repository as the extension under development. */
  static async launch(options: Omit<LaunchOptions, 'extension'> & { workspace: string }): Promise<Workbench> {
    // launch.mjs is an ES module; this file compiles to CommonJS, hence the dynamic import.
    const { launchWorkbench } = await import('../../../scripts/vscode-host/launch.mjs');
    const launched = await launchWorkbench<Page>({
      extension: REPO,
      viewport: { width: 1400, height: 900 },
      ...options,
      // code-server would offer to forward every port the applications listen on.
      settings: { 'remote.autoForwardPorts': false, ...options.settings },
    });
    launched.page.setDefaultTimeout(30_000);
    return new Workbench(launched, launched.page);
  }

  get workspace(): string {
    return this.launched.workspace;
  }

  close(keepRunDir = false): Promise<void> {
    return this.launched.close({ keepRunDir });
  }

  // --- activity bar and the Run Control view ---------------------------------------------

  /**
   * Clicks the Baton icon in the activity bar and waits for the Run Control view. Clicking
   * the icon of the container already shown hides the side bar, and a window that is still
   * restoring its layout may show the container just after the click; so the icon is
   * clicked only while it is not selected, until the view is visible.
   */
  async openBatonView(): Promise<void> {
    const tab = this.page.locator('.activitybar').getByRole('tab', { name: /^Baton/ });
    const header = this.runControlHeader();
    await until('the Run Control view to show', async () => {
      if (await header.isVisible()) return true;
      if ((await tab.getAttribute('aria-selected')) !== 'true') {
        await tab.click();
        await header.waitFor({ timeout: 2000 }).catch(() => undefined);
      }
      return false;
    });
  }

  private runControlHeader(): Locator {
    return this.page.getByRole('button', { name: /^Run Control Section/ });
  }

  /** The Run Control pane (header and body). */
  runControl(): Locator {
    return this.page.locator('.pane').filter({ has: this.runControlHeader() });
  }

  /**
   * A row of the Run Control tree. Its accessible name is "label description"; `description`
   * must match within the description (anchor it with ^ or $ to pin either end).
   */
  treeItem(label: string, description: RegExp = /.*/): Locator {
    const desc = description.source.replace(/^\^/, '');
    const anchored = description.source.startsWith('^');
    return this.runControl().getByRole('treeitem', { name: new RegExp(`^${escapeRe(label)} ${anchored ? '' : '.*'}${desc}`) });
  }

  /** "label description" of every visible row of the Run Control tree, top to bottom. */
  async treeRows(): Promise<string[]> {
    return this.runControl()
      .getByRole('treeitem')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
  }

  /**
   * Expands a collapsed segment row by clicking it (a click toggles a collapsible row), and
   * waits until its children are rendered below it: they arrive from the extension host
   * later and push the rows below down, so clicking the next row any earlier could hit the
   * wrong one.
   */
  async expand(label: string): Promise<void> {
    const row = this.treeItem(label);
    if ((await row.getAttribute('aria-expanded')) === 'false') await row.click();
    await until(`${label} to be expanded with its children shown`, async () => {
      const rows = await this.runControl()
        .getByRole('treeitem')
        .evaluateAll((els) => els.map((e) => ({ name: e.getAttribute('aria-label') ?? '', level: Number(e.getAttribute('aria-level')), expanded: e.getAttribute('aria-expanded') })));
      const i = rows.findIndex((r) => r.name.startsWith(`${label} `));
      return i >= 0 && rows[i].expanded === 'true' && rows[i + 1]?.level === rows[i].level + 1;
    });
  }

  /** Drags the sash on the side bar's right edge so that the side bar is `width` pixels wide. */
  async resizeSideBar(width: number): Promise<void> {
    const bar = this.page.locator('.part.sidebar');
    const box = await bar.boundingBox();
    if (!box) throw new Error('the side bar is not visible');
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 5 });
    await this.page.mouse.up();
    // Away from the sash, which stays highlighted while the pointer is on it.
    await this.page.mouse.move(box.x + width + 300, y);
    await until(`the side bar to be ${width} px wide`, async () => Math.abs(((await bar.boundingBox())?.width ?? 0) - width) <= 2, 5000);
  }

  welcome(): Locator {
    return this.runControl().locator('.welcome-view-content');
  }

  // --- status bar ------------------------------------------------------------------------

  /** Baton's status bar item (its element id ends with the item id `baton.status`). */
  statusItem(): Locator {
    return this.page.locator('.statusbar-item[id$=".baton.status"]');
  }

  async statusText(): Promise<string> {
    return (await this.statusItem().innerText()).trim();
  }

  // --- command palette, quick picks, input boxes -------------------------------------------

  quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /**
   * The quick input's option labelled `label`. Its accessible name starts with the codicon's
   * id when the label has one ("debug-stop  stop_run"), and may go on with the description
   * or ", recently used".
   */
  option(label: string): Locator {
    return this.quickInput().getByRole('option', { name: new RegExp(`^(${CODICON_NAME.source})?${escapeRe(label)}(,|$)`) });
  }

  /** The labels of the options offered now, without codicon ids and descriptions. */
  async optionLabels(): Promise<string[]> {
    return (await this.options()).map((o) => o.replace(new RegExp(`^${CODICON.source}`), '').split(',')[0]);
  }

  /** F1, types the command's title, and picks it from the list once it is offered. */
  async runCommand(title: string): Promise<void> {
    await this.openPalette();
    await this.page.keyboard.type(title);
    await this.option(title).click();
  }

  /** F1 and nothing more: the palette, ready for typing. */
  async openPalette(): Promise<void> {
    await this.page.keyboard.press('F1');
    await this.quickInput().locator('input').waitFor();
  }

  /** The option labels the quick input offers now. */
  async options(): Promise<string[]> {
    return this.quickInput()
      .getByRole('option')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
  }

  async closeQuickInput(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.quickInput().waitFor({ state: 'hidden' });
  }

  /** Waits for a quick pick or input box with this title. */
  async waitForPrompt(title: string | RegExp): Promise<void> {
    await this.quickInput().locator('.quick-input-title').filter({ hasText: title }).waitFor();
  }

  async pick(label: string): Promise<void> {
    await this.option(label).click();
  }

  /** The text of an input box's prompt (the message under the field). */
  async promptMessage(): Promise<string> {
    return (await this.quickInput().locator('.quick-input-message').innerText()).trim();
  }

  async inputValue(): Promise<string> {
    return this.quickInput().locator('input').first().inputValue();
  }

  /** Accepts the input box as it is (Enter) and waits for it to go away. */
  async accept(): Promise<void> {
    await this.quickInput().locator('input').first().press('Enter');
  }

  /** Quick Open (Ctrl+P) of a workspace file by name. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    await this.quickInput().locator('input').waitFor();
    await this.page.keyboard.type(name);
    await this.option(name).click();
    await this.page.getByRole('tab', { name: new RegExp(`^${escapeRe(name)}`) }).waitFor();
  }

  // --- Problems panel --------------------------------------------------------------------

  /** Opens the Problems panel (Ctrl+Shift+M) and returns the accessible names of its rows. */
  async problems(): Promise<string[]> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) await this.page.keyboard.press('Control+Shift+M');
    await panel.waitFor();
    return panel.getByRole('treeitem').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
  }

  // --- pictures --------------------------------------------------------------------------

  /** Saves the page under test-results/e2e/<name>.png, and also at `alsoAt` when given. */
  async screenshot(name: string, alsoAt?: string): Promise<string> {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${name}.png`);
    await this.page.screenshot({ path: file });
    if (alsoAt) {
      fs.mkdirSync(path.dirname(alsoAt), { recursive: true });
      fs.copyFileSync(file, alsoAt);
    }
    return file;
  }

  // --- window ----------------------------------------------------------------------------

  /**
   * "Developer: Reload Window" from the palette, then waits until a new workbench has
   * rendered: the old document carries a mark that the reloaded one does not.
   */
  async reloadWindow(): Promise<void> {
    await this.page.locator('body').evaluateAll((els) => els.forEach((e) => e.setAttribute('data-baton-e2e', 'before-reload')));
    await this.runCommand('Developer: Reload Window');
    await this.page.waitForSelector('body[data-baton-e2e]', { state: 'detached', timeout: 60_000 });
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  }
}
