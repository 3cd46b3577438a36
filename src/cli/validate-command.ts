import { readFile } from 'node:fs/promises';
import { validateRunConfig, type BatonDiagnostic } from '../core/config/validate';

export interface ValidateCommandOptions {
  format: 'text' | 'json';
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** The environment `getenv` values are checked against (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** One entry per file in `--format json`; `error` instead of diagnostics when unreadable. */
export interface ValidateFileResult {
  file: string;
  diagnostics?: BatonDiagnostic[];
  error?: string;
}

/**
 * `baton validate FILE...`: text lines `file:line:col: severity code message` (1-based,
 * the form editors and CI annotators parse), or with json one array with an entry per
 * file (ranges 0-based, LSP style). Exit 2 if a file cannot be read, else 1 if any error,
 * else 0; warnings never fail a pipeline.
 */
export async function validateCommand(files: string[], opts: ValidateCommandOptions): Promise<number> {
  const results: ValidateFileResult[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      results.push({ file, error: `cannot read file: ${(err as Error).message}` });
      continue;
    }
    results.push({ file, diagnostics: validateRunConfig(text, { file, env: opts.env ?? process.env }) });
  }

  const unreadable = results.filter((r) => r.error !== undefined).length;
  const all = results.flatMap((r) => r.diagnostics ?? []);
  const errors = all.filter((d) => d.severity === 'error').length;
  const warnings = all.filter((d) => d.severity === 'warning').length;

  if (opts.format === 'json') {
    opts.out.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    for (const r of results) {
      if (r.error !== undefined) opts.err.write(`${r.file}: ${r.error}\n`);
      for (const d of r.diagnostics ?? []) {
        opts.out.write(`${r.file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code} ${d.message}\n`);
      }
    }
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
    opts.err.write(`${plural(files.length, 'file')}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${unreadable ? `, ${unreadable} unreadable` : ''}\n`);
  }
  if (unreadable > 0) return 2;
  return errors > 0 ? 1 : 0;
}
