// What every integration test file needs from its surroundings. Bundled into each test
// file by esbuild, so __dirname is the compiled file's folder (out/integration).
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');

/** Resolves with the first truthy value of `fn`, asked every 50 ms; fails after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Asks the harness for a picture of the page, when there is one (scripts/vscode-host). */
export async function screenshot(name: string): Promise<void> {
  const dir = process.env.BATON_SCREENSHOT_REQUESTS;
  if (!dir) return;
  fs.writeFileSync(path.join(dir, `${name}.request`), '');
  await until(`the screenshot ${name}`, () => fs.existsSync(path.join(dir, `${name}.done`)));
}
