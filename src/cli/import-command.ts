import { existsSync } from 'node:fs';
import { importNanorc, NanorcImportError } from '../core/config/import/nanorc';
import { writeFileAtomic } from '../core/util/atomic-file';

const KINDS = ['nanorc'];

/**
 * `baton import nanorc DIR [-o FILE] [--force]`. Exit 0 on success (warnings go to err
 * and into the file's header), 2 on bad usage or input that cannot be imported.
 */
export async function importCommand(args: {
  kind: string;
  dir: string;
  output?: string;
  force?: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}): Promise<number> {
  const { err } = args;
  if (!KINDS.includes(args.kind)) {
    err.write(`baton import: unknown kind "${args.kind}" (known: ${KINDS.join(', ')})\n`);
    return 2;
  }
  if (!args.dir) {
    err.write('baton import nanorc: needs the nanorc configuration directory (or top-level JSON file)\n');
    return 2;
  }
  if (args.output && existsSync(args.output) && !args.force) {
    err.write(`baton import: ${args.output} exists; nothing written (use --force to replace it)\n`);
    return 2;
  }

  let result;
  try {
    result = importNanorc(args.dir);
  } catch (e) {
    if (e instanceof NanorcImportError) {
      err.write(`baton import: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  for (const w of result.warnings) err.write(`baton import: warning: ${w}\n`);

  if (!args.output) {
    args.out.write(result.yaml);
    return 0;
  }
  try {
    // An editor watching the file, or a run reading it, never sees half a configuration.
    await writeFileAtomic(args.output, result.yaml);
  } catch (e) {
    err.write(`baton import: cannot write ${args.output}: ${(e as Error).message}\n`);
    return 2;
  }
  err.write(`baton import: wrote ${args.output}${result.warnings.length ? ` (${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}, also in its header)` : ''}\n`);
  return 0;
}
