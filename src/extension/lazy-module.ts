import * as path from 'node:path';

/**
 * Loads a bundle built next to dist/extension.js (see esbuild.mjs) on first call. The
 * require is deliberately dynamic: esbuild must leave it alone so the module stays a file
 * of its own, parsed only when a feature needs it.
 */
export function lazyBundle<T>(name: string): () => T {
  let loaded: T | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: a separate file on purpose
  return () => (loaded ??= require(path.join(__dirname, `${name}.js`)) as T);
}
