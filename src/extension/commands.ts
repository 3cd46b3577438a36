import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TransitionArgs } from '../core/control/command-data';
import type { SessionEvent } from '../core/control/events';
import type { Session } from '../core/control/session';
import { formatStepReport, stepFailures } from '../core/control/step-report';
import type { ControlNode } from '../core/control/tree';
import { demoConfigText } from './demo-config';
import { openAppLog } from './logs/log-follower';
import type { Notifier } from './notifications';
import { KEEP_RUNNING, TERMINATE, UserError, type SessionManager, type StepReport } from './session-manager';
import { checkRateInput, checkRunNumberInput, stepArguments } from '../core/control/step-arguments';
import { progressMessage, STEP_COMMANDS, stepCommandId, transitionChoices } from './session-presentation';

/** Options a caller (a test, a script) can pass to a step command to skip every prompt. */
export interface StepOptions {
  args?: TransitionArgs;
  /** Path of the node to act on ('' = the whole session). */
  at?: string;
}

export interface CommandDeps {
  manager: SessionManager;
  log: vscode.LogOutputChannel;
  notify: Notifier;
  extensionUri: vscode.Uri;
}

type Handler = (...args: unknown[]) => unknown;

/** Every command of the extension, by id. `activate` registers them in one loop. */
export function commandTable(d: CommandDeps): Record<string, Handler> {
  const table: Record<string, Handler> = {
    'baton.selectConfig': (arg) => selectAndBoot(d, arg instanceof vscode.Uri ? arg : undefined),
    'baton.openConfig': async (arg) => {
      const uri = arg instanceof vscode.Uri ? arg : await pickConfig();
      return uri ? d.manager.open(uri) : undefined;
    },
    'baton.transition': (arg) => pickAndRun(d, isNode(arg) ? arg : undefined),
    'baton.abort': (arg) => confirmAbort(d, isOptions(arg)),
    'baton.recover': () => recover(d),
    'baton.exclude': (arg) => setIncluded(d, false, arg),
    'baton.include': (arg) => setIncluded(d, true, arg),
    'baton.showLog': (arg) => showLog(d, arg),
    'baton.copyReport': () => copyReport(d),
    'baton.openReport': () => openReport(d),
    'baton.closeSession': () => closeSession(d),
    'baton.showOutput': () => d.log.show(),
    'baton.createDemo': () => createDemo(d),
  };
  for (const { step } of STEP_COMMANDS) table[stepCommandId(step)] = (arg) => runStep(d, step, arg);
  return table;
}

/** Wraps a handler so refusals become warnings and nothing escapes as an unhandled error. */
export function guarded(id: string, fn: Handler, log: vscode.LogOutputChannel, notify: Notifier): Handler {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (err instanceof UserError || (err as Error).name === 'SessionError' || (err as Error).name === 'SessionBusyError') {
        log.warn(`${id}: ${message}`);
        if (message !== 'Cancelled.') void notify.show('warning', message);
      } else {
        log.error(`${id}: ${(err as Error).stack ?? message}`);
        void notify.show('error', `Baton: ${message}`);
      }
      return undefined;
    }
  };
}

function isNode(x: unknown): x is ControlNode {
  return typeof x === 'object' && x !== null && 'kind' in x && 'path' in x && typeof (x as ControlNode).state === 'string';
}

function isOptions(x: unknown): x is StepOptions {
  return typeof x === 'object' && x !== null && !isNode(x) && !(x instanceof vscode.Uri);
}

async function pickConfig(): Promise<vscode.Uri | undefined> {
  const files = await vscode.workspace.findFiles('**/*.baton.yaml', '**/{node_modules,.baton}/**', 200);
  if (files.length === 0) throw new UserError('No *.baton.yaml in this workspace. Create one, or run "Baton: Create the Demo".');
  const items = files
    .map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), uri }))
    .sort((a, b) => a.label.localeCompare(b.label));
  const picked = await vscode.window.showQuickPick(items, { title: 'Baton: run configuration to boot', placeHolder: 'Select a *.baton.yaml' });
  return picked?.uri;
}

async function selectAndBoot(d: CommandDeps, uri: vscode.Uri | undefined): Promise<Session | undefined> {
  const target = uri ?? (await pickConfig());
  if (!target) return undefined;
  const session = await d.manager.open(target);
  if (session.allowed().includes('boot')) await runStep(d, 'boot', { args: {} });
  return session;
}

/** Quick pick of what the session (or a node) may do now: works for any FSM. */
async function pickAndRun(d: CommandDeps, node: ControlNode | undefined): Promise<StepReport | undefined> {
  const session = d.manager.session;
  if (!session) return selectAndBoot(d, undefined).then(() => undefined);
  const at = node && node.kind !== 'root' ? node.path : '';
  const items = transitionChoices(session, at, d.manager.activeStep !== undefined).map((c) => ({ label: `$(${c.icon}) ${c.step}`, description: c.description, step: c.step }));
  const title = `Baton: ${session.name}${at ? ` / ${at}` : ''} is ${session.describeState(session.node(at))}${d.manager.activeStep ? ` (${d.manager.activeStep} in progress)` : ''}`;
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Transition or sequence to run' });
  if (!picked) return undefined;
  if (picked.step === 'abort') return confirmAbort(d, false);
  if (picked.step === 'recover') return recover(d).then(() => undefined);
  return runStep(d, picked.step, { at } satisfies StepOptions);
}

async function promptArgs(session: Session, step: string): Promise<TransitionArgs | undefined> {
  const needs = stepArguments(session.fsm, step);
  const args: TransitionArgs = {};
  if (needs.runType) {
    const type = await vscode.window.showQuickPick(['TEST', 'PROD'], { title: `Baton: ${step}: run type`, placeHolder: 'Run type' });
    if (!type) return undefined;
    args.runType = type as TransitionArgs['runType'];
  }
  if (needs.runNumber) {
    const proposed = await session.runs.registry.peek();
    const text = await vscode.window.showInputBox({
      title: `Baton: ${step}: run number`,
      prompt: `Next free run number: ${proposed}. Leave it to take that one.`,
      value: String(proposed),
      validateInput: checkRunNumberInput,
    });
    if (text === undefined) return undefined;
    // The registry hands out the proposed number itself (under its lock); only a different one is reserved.
    if (text.trim() !== '' && Number(text) !== proposed) args.runNumber = Number(text);
  }
  if (needs.triggerRate) {
    const text = await vscode.window.showInputBox({ title: `Baton: ${step}: trigger rate (Hz)`, validateInput: checkRateInput });
    if (text === undefined) return undefined;
    args.triggerRate = Number(text);
  }
  return args;
}

/** Runs a step with a cancellable progress notification; a failure names the applications. */
async function runStep(d: CommandDeps, step: string, arg: unknown): Promise<StepReport | undefined> {
  const session = d.manager.requireSession();
  const node = isNode(arg) ? arg : undefined;
  const opts = isOptions(arg) ? arg : {};
  const at = node && node.kind !== 'root' ? node.path : (opts.at ?? '');
  if (!session.fsm.isTransition(step) && !session.fsm.isSequence(step)) throw new UserError(`This session's FSM has no "${step}"; use "Baton: Run a Transition…".`);
  if (d.manager.activeStep) throw new UserError(`Cannot ${step}: ${d.manager.activeStep} is in progress; wait, or abort.`);
  const args = opts.args ?? (await promptArgs(session, step));
  if (!args) return undefined;

  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Baton: ${step}`, cancellable: true },
    async (progress, token) => {
      let last = 0;
      const unsubscribe = session.events.subscribe((e: SessionEvent) => {
        if (e.type === 'transition' && e.total > 0 && e.phase !== 'finished') {
          const pct = Math.floor((100 * e.done) / e.total);
          progress.report({ message: progressMessage(e), increment: e.phase === 'started' ? -last : pct - last });
          last = e.phase === 'started' ? 0 : pct;
        } else if (e.type === 'sequence' && e.phase === 'step') {
          progress.report({ message: `${e.step}…` });
        }
      });
      const cancel = token.onCancellationRequested(() => void confirmAbort(d, false).catch((err) => d.log.error(String(err))));
      try {
        return await d.manager.run(step, args, at);
      } finally {
        cancel.dispose();
        unsubscribe();
      }
    },
  );
  if (!report.ok) void notifyFailure(d, step, report);
  return report;
}

async function notifyFailure(d: CommandDeps, step: string, report: StepReport): Promise<void> {
  const failures = stepFailures(report);
  const names = failures.slice(0, 5).map((f) => `${f.path} (${f.outcome}${f.reason ? `: ${f.reason}` : ''})`);
  const more = failures.length > 5 ? ` and ${failures.length - 5} more` : '';
  const detail = names.length ? `: ${names.join('; ')}${more}` : 'sequence' in report && report.error ? `: ${report.error}` : '';
  const choice = await d.notify.show('error', `Baton: ${step} failed${detail}`, ...(failures.length ? ['Show log'] : []), 'Open report');
  if (choice === 'Show log' && failures[0]) await showLog(d, failures[0].path);
  else if (choice === 'Open report') await openReport(d);
}

async function confirmAbort(d: CommandDeps, noPrompt: boolean): Promise<undefined> {
  const session = d.manager.requireSession();
  if (!noPrompt) {
    const ok = await vscode.window.showWarningMessage(`Abort session ${session.name}? Every application is killed and the session returns to ${session.fsm.initial}.`, { modal: true }, 'Abort');
    if (ok !== 'Abort') return undefined;
  }
  const report = await d.manager.abort('abort requested from VS Code');
  if (!report.ok) void notifyFailure(d, 'abort', report);
  return undefined;
}

async function recover(d: CommandDeps): Promise<{ ok: boolean; message: string }> {
  const r = d.manager.requireSession().recover();
  if (r.ok) void d.notify.show('info', `Baton: ${r.message}`);
  else throw new UserError(r.message);
  return r;
}

async function pickNode(session: Session, what: string, filter: (n: ControlNode) => boolean): Promise<ControlNode | undefined> {
  const nodes = [...session.tree.walk()].filter((n) => n.kind !== 'root' && filter(n));
  if (nodes.length === 0) throw new UserError(`Nothing to ${what}.`);
  const picked = await vscode.window.showQuickPick(nodes.map((n) => ({ label: n.path, description: `${n.kind} · ${n.state}`, node: n })), { title: `Baton: ${what}` });
  return picked?.node;
}

function resolveNode(session: Session, arg: unknown): ControlNode | undefined {
  if (isNode(arg)) return arg;
  if (typeof arg === 'string') return session.node(arg);
  return undefined;
}

async function setIncluded(d: CommandDeps, included: boolean, arg: unknown): Promise<void> {
  const session = d.manager.requireSession();
  const verb = included ? 'include' : 'exclude';
  const node = resolveNode(session, arg) ?? (await pickNode(session, verb, (n) => n.includedHere !== included));
  if (!node) return;
  const outcomes = included ? await session.include(node.path) : await session.exclude(node.path);
  const bad = outcomes.filter((o) => o.outcome !== 'ok');
  d.log.info(`${verb}d ${node.path}${outcomes.length ? ` (${outcomes.length - bad.length}/${outcomes.length} applications acknowledged)` : ''}`);
  if (bad.length) void d.notify.show('warning', `Baton: ${verb} ${node.path}: ${bad.map((b) => `${b.name} ${b.outcome}${b.reason ? ` (${b.reason})` : ''}`).join('; ')}`);
}

async function showLog(d: CommandDeps, arg: unknown): Promise<void> {
  const session = d.manager.requireSession();
  const node = resolveNode(session, arg) ?? (await pickNode(session, 'show the log of', (n) => n.kind === 'app'));
  if (!node) return;
  if (node.kind !== 'app') throw new UserError(`${node.path} is a segment; pick one of its applications.`);
  const file = (session.processManager.info(node.name) ?? node.process)?.logFile;
  if (!file || !fs.existsSync(file)) throw new UserError(`${node.name} has no log yet (it has not been booted by this session).`);
  // A read-only document that follows the file as the application writes (logs/log-follower.ts).
  await openAppLog(session.name, node.name, file);
}

function reportText(d: CommandDeps): string {
  const report = d.manager.lastReport;
  if (!report) throw new UserError('No execution report yet: run a transition first.');
  return formatStepReport(report);
}

async function copyReport(d: CommandDeps): Promise<string> {
  const text = reportText(d);
  await vscode.env.clipboard.writeText(text);
  void vscode.window.setStatusBarMessage('Baton: execution report copied', 3000);
  return text;
}

async function openReport(d: CommandDeps): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ content: reportText(d), language: 'plaintext' });
  await vscode.window.showTextDocument(doc, { preview: true });
}

async function closeSession(d: CommandDeps): Promise<void> {
  const session = d.manager.requireSession();
  const alive = session.processManager.list().some((p) => p.alive);
  const choice = alive ? await vscode.window.showWarningMessage(`Close session ${session.name}?`, { modal: true }, KEEP_RUNNING, TERMINATE) : TERMINATE;
  if (!choice) return;
  await d.manager.close(choice === KEEP_RUNNING);
}

async function createDemo(d: CommandDeps): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new UserError('Open a folder first: the demo is written into it.');
  const target = vscode.Uri.joinPath(folder.uri, 'demo.baton.yaml');
  if (fs.existsSync(target.fsPath)) throw new UserError(`${vscode.workspace.asRelativePath(target)} exists already.`);
  const daqApp = vscode.Uri.joinPath(d.extensionUri, 'dist', 'daq-app.js').fsPath;
  await fs.promises.writeFile(target.fsPath, demoConfigText(daqApp), 'utf8');
  await vscode.window.showTextDocument(target);
  return target;
}
