import * as path from 'node:path';
import { loadRunConfig } from '../core/config/load';
import { formatReport, type ExecutionReport } from '../core/control/report';
import { openSession, type KubernetesOpenOptions, type SessionHandle } from '../core/control/open-session';
import { SessionError, type SequenceReport, type Session } from '../core/control/session';
import { LiveView } from './live-view';
import { parseSteps, DEFAULT_STEPS, type Step } from './args';

export interface RunOptions {
  config: string;
  steps: string[];
  json: boolean;
  batonDir?: string;
  /** kubeconfig and context for backend: kubernetes. */
  kubernetes?: KubernetesOpenOptions;
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/**
 * `baton run`: boots (or reattaches to) the session and executes the steps. Any failure
 * or a signal aborts the session, so nothing is left running that nobody controls.
 */
export async function runCommand(opts: RunOptions): Promise<number> {
  const steps: Step[] = parseSteps(opts.steps.length ? opts.steps : DEFAULT_STEPS);
  const config = loadRunConfig(opts.config);
  const handle = await openSession(config, { batonDir: opts.batonDir, kubernetes: opts.kubernetes });
  const { session } = handle;
  const write = (s: string) => opts.out.write(s);
  const stopJson = opts.json ? session.events.subscribe((e) => write(`${JSON.stringify(e)}\n`)) : undefined;
  const view = opts.json ? undefined : new LiveView(session, { write, isTTY: opts.out.isTTY, columns: opts.out.columns, rows: opts.out.rows });
  const say = (line: string) => (view ? view.print(line) : write(`${JSON.stringify({ type: 'message', time: Date.now(), message: line })}\n`));

  if (handle.reattached) say(`reattached to session ${session.name} (${session.describeState()})`);
  if (handle.lost.length) say(`applications that died while no controller was attached: ${handle.lost.join(', ')}`);

  let interrupted: NodeJS.Signals | undefined;
  let aborting: Promise<unknown> | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    say(`${sig}: aborting session ${session.name}`);
    wake?.();
    aborting = session.abort(`interrupted by ${sig}`).catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  let code = EXIT_OK;
  try {
    for (const step of steps) {
      if (interrupted) break;
      let failure: StepFailure | undefined;
      try {
        failure = await runStep(session, step, say, (w) => (wake = w));
      } catch (err) {
        // A refused step changed nothing: report it and leave the system as it is,
        // rather than abort a running detector over a mistyped step.
        if (!(err instanceof SessionError)) throw err;
        say(`refused: ${err.message}`);
        code = EXIT_FAILED;
        break;
      }
      if (failure) {
        if (interrupted) {
          // Show how far the interrupted transition got; the signal handler's abort does the rest.
          if (failure.report) say(formatReport(failure.report));
          break;
        }
        say(failure.message);
        if (failure.report) {
          say(formatReport(failure.report, { onlyProblems: true }));
          for (const f of failure.report.failures.slice(0, 10)) {
            const log = session.processManager.info(f.path.split('/').pop()!)?.logFile;
            if (log) say(`  log of ${f.path}: ${path.relative(process.cwd(), log)}`);
          }
        }
        const abort = await session.abort(`step ${describe(step)} failed`);
        say(`aborted: every application stopped (${abort.failures.length} problems while stopping)`);
        code = EXIT_FAILED;
        break;
      }
    }
  } catch (err) {
    say(`error: ${(err as Error).message}`);
    await session.abort('controller error');
    code = EXIT_FAILED;
  } finally {
    if (interrupted) {
      // The abort started in the signal handler must finish before we exit.
      await aborting;
      code = EXIT_INTERRUPTED;
    }
    view?.dispose();
    const keepRunning = !interrupted && session.tree.apps.some((a) => a.state !== session.fsm.initial);
    if (keepRunning) say(`session ${session.name} left in ${session.describeState()}: continue with "baton run ${opts.config} <steps>", inspect with "baton status ${opts.config}"`);
    await handle.close({ keepRunning });
    stopJson?.();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
  return code;
}

interface StepFailure {
  message: string;
  report?: ExecutionReport;
}

async function runStep(session: Session, step: Step, say: (s: string) => void, onWait: (wake: () => void) => void): Promise<StepFailure | undefined> {
  switch (step.kind) {
    case 'wait':
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, step.ms);
        onWait(() => {
          clearTimeout(t);
          resolve();
        });
      });
      return undefined;
    case 'abort':
      await session.abort('abort step');
      return undefined;
    case 'recover': {
      const r = session.recover();
      say(r.message);
      return r.ok ? undefined : { message: r.message };
    }
    case 'exclude':
    case 'include': {
      const outs = step.kind === 'exclude' ? await session.exclude(step.path, step.args) : await session.include(step.path, step.args);
      say(`${step.kind}d ${step.path}${outs.length ? ` (${outs.filter((o) => o.outcome === 'ok').length}/${outs.length} applications acknowledged)` : ''}`);
      return undefined;
    }
    case 'goto': {
      const reports = await session.goto(step.state, step.args, step.on);
      const bad = reports.find((r) => !r.ok);
      return bad ? { message: `goto ${step.state}: ${bad.transition} failed`, report: bad } : undefined;
    }
    case 'fsm': {
      const result = await session.execute(step.name, step.args, step.on);
      if ('sequence' in result) return sequenceFailure(result);
      return result.ok ? undefined : { message: `${step.name} failed: ${summarise(result)}`, report: result };
    }
  }
}

function sequenceFailure(r: SequenceReport): StepFailure | undefined {
  if (r.ok) return undefined;
  const last = r.steps[r.steps.length - 1];
  return { message: `${r.sequence} failed: ${r.error ?? 'a step failed'}`, report: last && !last.ok ? last : undefined };
}

function summarise(r: ExecutionReport): string {
  const shown = r.failures.slice(0, 5).map((f) => `${f.path} ${f.outcome}${f.reason ? ` (${f.reason})` : ''}`);
  return shown.join('; ') + (r.failures.length > 5 ? `; and ${r.failures.length - 5} more` : '');
}

function describe(step: Step): string {
  switch (step.kind) {
    case 'fsm':
      return step.name;
    case 'wait':
      return 'wait';
    case 'goto':
      return `goto ${step.state}`;
    case 'exclude':
    case 'include':
      return `${step.kind} ${step.path}`;
    default:
      return step.kind;
  }
}

export type { SessionHandle };
