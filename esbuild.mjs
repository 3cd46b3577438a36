// Bundles each entry point into dist/ so the CLI, the reference app and (later) the
// extension start fast and ship without node_modules.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
// --production (npm run package): minified, no source maps, for the .vsix.
const production = process.argv.includes('--production');
// --outdir=DIR: build elsewhere than dist/ (the packager stages the .vsix in a temporary directory).
const outdir = process.argv.find((a) => a.startsWith('--outdir='))?.slice('--outdir='.length) ?? 'dist';
const entries = {
  cli: 'src/cli/main.ts',
  'daq-app': 'src/daq-app/main.ts',
  server: 'src/server/main.ts',
  extension: 'src/extension/extension.ts',
  // Loaded by the extension with require() on first need, so activation does not pay for them.
  'language-client': 'src/extension/language-client.ts',
  'session-core': 'src/extension/session-core.ts',
};

const ctx = await esbuild.context({
  entryPoints: entries,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outdir,
  sourcemap: !production,
  minify: production,
  external: ['vscode'],
  logLevel: 'warning',
});
if (watch) {
  await ctx.watch();
} else {
  await ctx.rebuild();
  await ctx.dispose();
}
