// Test entry with @vscode/test-electron's contract: `run()` resolves when every test
// passed. Runs in a real extension host (offline through scripts/vscode-host).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/**
 * Unhandled rejections and exceptions anywhere in the extension host during the run: the
 * extension must never leave one, so any of them fails the run even when every test passed.
 */
function collectUnhandled(): { seen: string[]; stop(): void } {
  const seen: string[] = [];
  // The extension host reports some rejections twice; one error counts once.
  const reasons = new Set<unknown>();
  const onRejection = (reason: unknown) => {
    if (reasons.has(reason)) return;
    reasons.add(reason);
    seen.push(`unhandledRejection: ${(reason as Error)?.stack ?? String(reason)}`);
  };
  const onException = (err: Error) => seen.push(`uncaughtException: ${err?.stack ?? String(err)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    seen,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  // Every compiled *.test.js next to this file; BATON_INTEGRATION_GREP narrows the run.
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  if (process.env.BATON_INTEGRATION_GREP) mocha.grep(process.env.BATON_INTEGRATION_GREP);
  const unhandled = collectUnhandled();
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      unhandled.stop();
      const s = runner.stats;
      console.log(`integration: ${s?.passes ?? 0} passed, ${failures} failed, ${unhandled.seen.length} unhandled error(s) in the extension host`);
      for (const u of unhandled.seen) console.log(u);
      if (failures > 0) reject(new Error(`${failures} integration tests failed`));
      else if (unhandled.seen.length > 0) reject(new Error(`${unhandled.seen.length} unhandled error(s) in the extension host (printed above)`));
      else resolve();
    });
  });
}
