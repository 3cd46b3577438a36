import { ConfigError, loadRunConfig } from '../core/config/load';
import { DEFAULT_FSM } from '../core/fsm/default-fsm';
import { Fsm } from '../core/fsm/fsm';
import { SessionBusyError } from '../core/backends/local/session-lock';
import { SessionError } from '../core/control/session';
import { UsageError } from './args';
import { EXIT_FAILED, EXIT_USAGE, runCommand } from './run-command';
import { formatStatus, readStatus } from './status-command';
import { validateCommand } from './validate-command';
import { importCommand } from './import-command';
import { KubeConfigError, KubernetesError } from '../core/backends/kubernetes/kube-access';

const HELP = `baton: run control for data-acquisition systems

usage:
  baton run CONFIG [STEP ...] [--json] [--baton-dir DIR] [--kubeconfig FILE] [--context NAME]
      Boot (or reattach to) the session of CONFIG and execute the steps; default:
      boot start_run wait 2 stop_run shutdown
      With backend: kubernetes, the cluster is the kubeconfig's (--kubeconfig, else
      KUBECONFIG, else ~/.kube/config) context named by spec.kubernetes.context, else
      --context, else the current context.
      STEP is a transition or sequence of the FSM (boot, conf, start, start_run, ...),
      "wait SECONDS", "exclude PATH", "include PATH", "goto STATE", "recover" or "abort".
      Options after a step apply to it: --run-number N --run-type TEST|PROD
      --trigger-rate HZ --disable-data-storage --timeout 10s --on SEGMENT/PATH
  baton status CONFIG [--json] [--baton-dir DIR] [--kubeconfig FILE] [--context NAME]
      The tree of the session as recorded, checked against the live processes (on
      kubernetes: against the session's pods, with kubectl's status words and nodes).
  baton fsm [CONFIG] [--format mermaid|dot]
      The state machine (the DUNE default, or CONFIG's own) as a diagram.
  baton validate FILE... [--format text|json]
      Check run configurations: file:line:col: severity code message. Exit 0 when no
      errors (warnings allowed), 1 when any error, 2 when a file cannot be read.
  baton import nanorc DIR [-o FILE] [--force]
      Convert a nanorc configuration (a directory with boot.json, or a top-level JSON
      naming several) into a Baton run configuration, printed or written to FILE
      (replaced only with --force).

exit codes: 0 success, 1 a step failed (the session was aborted), 2 bad usage or
configuration, 3 the session is controlled by another process, 130 interrupted.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = extractFlags(rest, ['--json', '--force'], ['--baton-dir', '--format', '-o', '--output', '--kubeconfig', '--context']);
  try {
    switch (command) {
      case 'run': {
        const [config, ...steps] = flags.positional;
        if (!config) throw new UsageError('baton run needs a configuration file');
        const kubernetes = { kubeconfig: flags.values['--kubeconfig'], context: flags.values['--context'] };
        return await runCommand({ config, steps, json: flags.bool.has('--json'), batonDir: flags.values['--baton-dir'], kubernetes, out: process.stdout });
      }
      case 'status': {
        const [config] = flags.positional;
        if (!config) throw new UsageError('baton status needs a configuration file');
        const status = await readStatus(config, flags.values['--baton-dir'], { kubeconfig: flags.values['--kubeconfig'], context: flags.values['--context'] });
        process.stdout.write(flags.bool.has('--json') ? `${JSON.stringify(status)}\n` : `${formatStatus(status)}\n`);
        return 0;
      }
      case 'validate': {
        if (flags.positional.length === 0) throw new UsageError('baton validate needs one or more files');
        const format = flags.values['--format'] ?? (flags.bool.has('--json') ? 'json' : 'text');
        if (format !== 'text' && format !== 'json') throw new UsageError('--format must be text or json');
        return await validateCommand(flags.positional, { format, out: process.stdout, err: process.stderr });
      }
      case 'import': {
        const [kind, dir] = flags.positional;
        if (!kind || !dir) throw new UsageError('baton import needs a kind and a directory: baton import nanorc DIR [-o FILE] [--force]');
        return await importCommand({ kind, dir, output: flags.values['-o'] ?? flags.values['--output'], force: flags.bool.has('--force'), out: process.stdout, err: process.stderr });
      }
      case 'fsm': {
        const [config] = flags.positional;
        const fsm = Fsm.compile(config ? loadRunConfig(config).fsm ?? DEFAULT_FSM : DEFAULT_FSM);
        const format = flags.values['--format'] ?? 'mermaid';
        if (format !== 'mermaid' && format !== 'dot') throw new UsageError('--format must be mermaid or dot');
        process.stdout.write(`${format === 'dot' ? fsm.toDot() : fsm.toMermaid()}\n`);
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${HELP}\n`);
        return command === undefined ? EXIT_USAGE : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`baton: ${err.message}\n\n${HELP}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof SessionBusyError) {
      process.stderr.write(`baton: ${err.message}; nothing was changed\n`);
      return 3;
    }
    if (err instanceof KubeConfigError) {
      process.stderr.write(`baton: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof SessionError || err instanceof KubernetesError) {
      process.stderr.write(`baton: ${err.message}\n`);
      return EXIT_FAILED;
    }
    process.stderr.write(`baton: ${(err as Error).stack ?? err}\n`);
    return EXIT_FAILED;
  }
}

/** Pulls global flags out wherever they appear, leaving step options to the step parser. */
function extractFlags(args: string[], booleans: string[], valued: string[]) {
  const positional: string[] = [];
  const bool = new Set<string>();
  const values: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (booleans.includes(a)) bool.add(a);
    else if (valued.includes(a)) {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      values[a] = v;
    } else positional.push(a);
  }
  return { positional, bool, values };
}

/** Entry point used by bin/baton.js: exits once stdout has been flushed. */
export function cli(): void {
  main(process.argv.slice(2)).then(
    (code) => process.stdout.write('', () => process.exit(code)),
    (err) => {
      process.stderr.write(`baton: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
