// Test entry with @vscode/test-electron's contract: `run()` resolves when every test
// passed. Runs in a real extension host (offline through scripts/vscode-host).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  // Every compiled *.test.js next to this file; BATON_INTEGRATION_GREP narrows the run.
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  if (process.env.BATON_INTEGRATION_GREP) mocha.grep(process.env.BATON_INTEGRATION_GREP);
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const s = runner.stats;
      console.log(`integration: ${s?.passes ?? 0} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} integration tests failed`));
      else resolve();
    });
  });
}
