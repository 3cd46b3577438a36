// npm run package [-- --out FILE]: builds the extension minified and packages it with
// @vscode/vsce into a .vsix (default: baton-<version>.vsix at the repository root), then
// prints its size and file count.
//
// The build and the packaging happen in a temporary staging directory, so dist/ (used by
// tests and the CLI) is never replaced by minified bundles behind anyone's back. Everything
// is bundled, hence --no-dependencies: vsce then runs no npm and needs no network.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
const outArg = process.argv.indexOf('--out');
const out = path.resolve(outArg >= 0 ? process.argv[outArg + 1] : path.join(repo, `${pkg.name}-${pkg.version}.vsix`));

/** What the staging directory gets; .vscodeignore (an allow-list) still decides what vsce packs. */
const STAGED = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'language-configuration.json', '.vscodeignore', 'media', 'syntaxes', 'schemas', 'docs/images'];

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${path.basename(args[0] ?? cmd)} ${args.slice(1).join(' ')} exited with ${r.status ?? r.signal}`);
}

/** Entries in a zip's central directory (from its end-of-central-directory record). */
function zipEntryCount(file) {
  const buf = fs.readFileSync(file);
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) return buf.readUInt16LE(i + 10);
  }
  throw new Error(`${file} is not a zip archive`);
}

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-vsix-'));
try {
  for (const entry of STAGED) {
    const from = path.join(repo, entry);
    if (!fs.existsSync(from)) throw new Error(`${entry} is missing; the package needs it`);
    fs.cpSync(from, path.join(stage, entry), { recursive: true });
  }
  run(process.execPath, [path.join(repo, 'esbuild.mjs'), '--production', `--outdir=${path.join(stage, 'dist')}`], repo);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // The README's screenshot is packaged (docs/images), so relative links stay relative and
  // resolve inside the installed extension; no repository URL is needed to rewrite them.
  // Without a repository field vsce would stop and ask on a terminal; a package for local
  // installation does not need one.
  const vsceArgs = ['package', '--no-dependencies', '--no-rewrite-relative-links', '--out', out];
  if (!pkg.repository) vsceArgs.push('--allow-missing-repository');
  run(process.execPath, [path.join(repo, 'node_modules/@vscode/vsce/vsce'), ...vsceArgs], stage);
  const bytes = fs.statSync(out).size;
  console.log(`${path.relative(process.cwd(), out) || out}: ${(bytes / 1024).toFixed(0)} KiB, ${zipEntryCount(out)} files`);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
