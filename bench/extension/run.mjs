// npm run bench:extension: builds the extension and bench/extension/index.ts, runs the latter
// in a real VS Code extension host (scripts/vscode-host, empty workspace so that nothing
// activates Baton before the benchmark does), and repeats its RESULT line last.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outdir = path.join(repo, 'out/bench-extension');

function run(cmd, args, onStdout) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repo, stdio: ['ignore', onStdout ? 'pipe' : 'inherit', 'inherit'] });
    child.stdout?.on('data', (chunk) => {
      process.stdout.write(chunk);
      onStdout(chunk.toString());
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGINT' ? 2 : 15)));
  });
}

if ((await run(process.execPath, ['esbuild.mjs'])) !== 0) process.exit(1);
await esbuild.build({
  entryPoints: { index: path.join(repo, 'bench/extension/index.ts') },
  bundle: true,
  external: ['vscode'],
  outdir,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
let output = '';
const code = await run(process.execPath, ['scripts/vscode-host/run-tests.mjs', '--extension', '.', '--tests', path.join(outdir, 'index.js')], (text) => (output += text));
const result = output.split('\n').findLast((l) => l.startsWith('RESULT extension '));
if (result) console.log(result);
process.exit(result ? code : code || 1);
