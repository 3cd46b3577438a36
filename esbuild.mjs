// Bundles each entry point into dist/ so the CLI, the reference app and (later) the
// extension start fast and ship without node_modules.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const entries = {
  cli: 'src/cli/main.ts',
  'daq-app': 'src/daq-app/main.ts',
  server: 'src/server/main.ts',
  extension: 'src/extension/extension.ts',
};

const ctx = await esbuild.context({
  entryPoints: entries,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outdir: 'dist',
  sourcemap: true,
  external: ['vscode'],
  logLevel: 'warning',
});
if (watch) {
  await ctx.watch();
} else {
  await ctx.rebuild();
  await ctx.dispose();
}
