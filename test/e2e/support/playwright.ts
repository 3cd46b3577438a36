// The slice of playwright-core's API the end-to-end tests use. playwright-core is installed
// in .vscode-test/ by scripts/vscode-host/setup.mjs, not in the project's node_modules, so
// its own types are not visible to `tsc` (which also runs before setup on a fresh machine);
// these structural types match playwright-core 1.x for the calls made here.

export type AriaRole = 'button' | 'dialog' | 'link' | 'option' | 'tab' | 'textbox' | 'treeitem' | 'tree' | 'row' | 'list' | 'listbox' | 'combobox';

export interface LocatorFilter {
  hasText?: string | RegExp;
  hasNotText?: string | RegExp;
  has?: Locator;
  visible?: boolean;
}

export interface Locator {
  click(options?: { timeout?: number; button?: 'left' | 'right' | 'middle'; position?: { x: number; y: number } }): Promise<void>;
  dblclick(options?: { timeout?: number }): Promise<void>;
  hover(options?: { timeout?: number }): Promise<void>;
  press(key: string, options?: { timeout?: number }): Promise<void>;
  fill(value: string, options?: { timeout?: number }): Promise<void>;
  waitFor(options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  innerText(options?: { timeout?: number }): Promise<string>;
  allInnerTexts(): Promise<string[]>;
  inputValue(options?: { timeout?: number }): Promise<string>;
  getAttribute(name: string, options?: { timeout?: number }): Promise<string | null>;
  /** `fn` runs in the page (serialized): only DOM calls inside, no closure over test variables. */
  evaluateAll<R>(fn: (elements: Array<{ getAttribute(name: string): string | null; setAttribute(name: string, value: string): void; textContent: string | null }>) => R): Promise<R>;
  isVisible(): Promise<boolean>;
  count(): Promise<number>;
  first(): Locator;
  last(): Locator;
  nth(index: number): Locator;
  filter(options: LocatorFilter): Locator;
  locator(selector: string, options?: LocatorFilter): Locator;
  getByRole(role: AriaRole, options?: { name?: string | RegExp; exact?: boolean; expanded?: boolean }): Locator;
  getByText(text: string | RegExp, options?: { exact?: boolean }): Locator;
  screenshot(options?: { path?: string; timeout?: number }): Promise<Buffer>;
  boundingBox(options?: { timeout?: number }): Promise<{ x: number; y: number; width: number; height: number } | null>;
}

export interface Page {
  locator(selector: string, options?: LocatorFilter): Locator;
  getByRole(role: AriaRole, options?: { name?: string | RegExp; exact?: boolean; expanded?: boolean }): Locator;
  getByText(text: string | RegExp, options?: { exact?: boolean }): Locator;
  keyboard: {
    press(key: string, options?: { delay?: number }): Promise<void>;
    type(text: string, options?: { delay?: number }): Promise<void>;
    insertText(text: string): Promise<void>;
  };
  mouse: {
    move(x: number, y: number, options?: { steps?: number }): Promise<void>;
    down(): Promise<void>;
    up(): Promise<void>;
  };
  screenshot(options?: { path?: string; timeout?: number; fullPage?: boolean }): Promise<Buffer>;
  waitForSelector(selector: string, options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<unknown>;
  setDefaultTimeout(timeout: number): void;
  url(): string;
}
