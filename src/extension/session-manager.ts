import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SessionHandle } from '../core/control/open-session';
import type { ExecutionReport } from '../core/control/report';
import type { Session } from '../core/control/session';
import type { StepReport } from '../core/control/step-report';
import type { TransitionArgs } from '../core/control/command-data';
import { eventLogLine, LOG_LEVEL_RANK } from '../core/control/event-log';
import type { LogLevel } from '../core/control/events';

/** A refusal the operator can act on: shown as a warning, never as a crash. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

export type { StepReport };

/** The two answers to "what becomes of the applications when the session closes?". */
export const KEEP_RUNNING = 'Keep Applications Running';
export const TERMINATE = 'Terminate Them';

/**
 * Owns the one session this window controls: opens (or reattaches to) it, runs steps one at
 * a time, keeps the last report, and closes it as the `baton.onWindowClose` setting says.
 * Core modules are imported on first use so that activation stays cheap.
 */
export class SessionManager implements vscode.Disposable {
  private handle?: SessionHandle;
  private opening = false;
  private running?: string;
  private configUri?: vscode.Uri;
  lastReport?: StepReport;
  private readonly changed = new vscode.EventEmitter<Session | undefined>();
  readonly onDidChangeSession = this.changed.event;
  private readonly reported = new vscode.EventEmitter<StepReport>();
  readonly onDidReport = this.reported.event;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  get session(): Session | undefined {
    return this.handle?.session;
  }

  /** The step this window is executing (a sequence spans several transitions). */
  get activeStep(): string | undefined {
    return this.running ?? this.session?.busy;
  }

  requireSession(): Session {
    const s = this.session;
    if (!s) throw new UserError('No Baton session: select a run configuration first (Baton: Select and Boot Run Configuration).');
    return s;
  }

  /** Opens the session of a configuration, reattaching to applications left running. */
  async open(uri: vscode.Uri): Promise<Session> {
    if (!vscode.workspace.isTrusted) {
      throw new UserError('This workspace is not trusted (Restricted Mode): Baton validates run configurations but launches nothing. Trust the folder to boot it.');
    }
    if (this.opening) throw new UserError('A run configuration is already being opened; wait for it.');
    const current = this.session;
    if (current && this.configUri?.fsPath === uri.fsPath) return current;
    this.opening = true;
    try {
      if (current) {
        if (this.activeStep) throw new UserError(`Session ${current.name} is busy (${this.activeStep}); wait or abort before opening another configuration.`);
        const choice = await vscode.window.showWarningMessage(`Session ${current.name} is open. Close it to open ${path.basename(uri.fsPath)}?`, { modal: true }, KEEP_RUNNING, TERMINATE);
        if (!choice) throw new UserError('Cancelled.');
        await this.close(choice === KEEP_RUNNING);
      }
      const { loadRunConfig, ConfigError } = await import('../core/config/load.js');
      let config;
      try {
        config = loadRunConfig(uri.fsPath);
      } catch (err) {
        if (err instanceof ConfigError && err.problems.length > 0) {
          const first = err.problems[0];
          const pos = new vscode.Position(Math.max(0, first.line - 1), Math.max(0, first.column - 1));
          void vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos) }).then(undefined, () => undefined);
          throw new UserError(`${path.basename(uri.fsPath)} cannot be booted: ${first.message} (line ${first.line})${err.problems.length > 1 ? ` and ${err.problems.length - 1} more problem(s)` : ''}.`);
        }
        throw err;
      }
      const { openLocalSession } = await import('../core/control/open-session.js');
      const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
      const settings = vscode.workspace.getConfiguration('baton');
      const listenerHost = settings.get<string>('listenerHost') || undefined;
      const handle = await openLocalSession(config, { batonDir: path.join(folder, '.baton'), listenerHost, log: (m) => this.log.info(m) });
      this.handle = handle;
      this.configUri = uri;
      this.lastReport = undefined;
      // Only the session's own log messages are filtered by the setting; errors, runs and transitions always show.
      const minLevel = LOG_LEVEL_RANK[settings.get<LogLevel>('logLevel', 'info')] ?? LOG_LEVEL_RANK.info;
      handle.session.events.subscribe((e) => {
        const line = eventLogLine(e);
        if (line && (e.type !== 'log' || LOG_LEVEL_RANK[line.level] >= minLevel)) this.log[line.level](line.text);
      });
      this.log.info(`session ${config.name} ${handle.reattached ? 'reattached' : 'opened'} from ${uri.fsPath} (${handle.session.describeState()})`);
      if (handle.lost.length) this.log.warn(`applications that died while no controller was attached: ${handle.lost.join(', ')}`);
      this.changed.fire(handle.session);
      return handle.session;
    } finally {
      this.opening = false;
    }
  }

  /** Runs one transition or sequence; refuses a second one while this window runs one. */
  async run(step: string, args: TransitionArgs = {}, at = ''): Promise<StepReport> {
    const session = this.requireSession();
    if (step === 'abort') return this.abort('abort requested from VS Code');
    if (this.activeStep) throw new UserError(`Cannot ${step}: ${this.activeStep} is in progress; wait, or abort.`);
    this.running = step;
    try {
      const report = await session.execute(step, args, at);
      this.lastReport = report;
      this.reported.fire(report);
      return report;
    } finally {
      this.running = undefined;
    }
  }

  async abort(reason: string): Promise<ExecutionReport> {
    const report = await this.requireSession().abort(reason);
    this.lastReport = report;
    this.reported.fire(report);
    return report;
  }

  async close(keepRunning: boolean): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    this.handle = undefined;
    this.configUri = undefined;
    this.changed.fire(undefined);
    await handle.close({ keepRunning });
    this.log.info(`session ${handle.session.name} closed${keepRunning ? ' (applications left running)' : ''}`);
  }

  /** On window close or reload: keep the applications for a reattach, or terminate them. */
  async shutdown(): Promise<void> {
    const keep = vscode.workspace.getConfiguration('baton').get<string>('onWindowClose', 'keep') !== 'terminate';
    await this.close(keep);
  }

  dispose(): void {
    this.changed.dispose();
    this.reported.dispose();
  }
}
