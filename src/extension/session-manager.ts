import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SessionHandle } from '../core/control/open-session';
import type { ExecutionReport } from '../core/control/report';
import type { Session } from '../core/control/session';
import type { StepReport } from '../core/control/step-report';
import type { TransitionArgs } from '../core/control/command-data';
import { eventLogLine, LOG_LEVEL_RANK } from '../core/control/event-log';
import type { LogLevel } from '../core/control/events';
import { parseDuration } from '../core/config/duration';
import { lazyBundle } from './lazy-module';
import { launchRefusal } from './session-presentation';

/** The config loader and the controller: dist/session-core.js, loaded when a session opens. */
export const sessionCore = lazyBundle<typeof import('./session-core')>('session-core');

/** A refusal the operator can act on: shown as a warning, never as a crash. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

export type { StepReport };

/** The two answers to "what becomes of the applications when the session closes?". */
export const KEEP_RUNNING = 'Keep Applications Running';
export const TERMINATE = 'Terminate Them';

/** workspaceState key: the configuration whose session this workspace last opened. */
const LAST_CONFIG = 'baton.lastConfig';

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
  private unsubscribeLog?: () => void;
  lastReport?: StepReport;
  private readonly changed = new vscode.EventEmitter<Session | undefined>();
  readonly onDidChangeSession = this.changed.event;
  private readonly reported = new vscode.EventEmitter<StepReport>();
  readonly onDidReport = this.reported.event;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    /** Remembers the last opened configuration so that the next window reattaches to it. */
    private readonly state?: vscode.Memento,
  ) {}

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
    const refusal = launchRefusal(vscode.workspace.isTrusted);
    if (refusal) throw new UserError(refusal);
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
      const { loadRunConfig, ConfigError } = sessionCore();
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
      const { openSession } = sessionCore();
      const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
      const settings = vscode.workspace.getConfiguration('baton');
      const listenerHost = settings.get<string>('listenerHost') || undefined;
      const timeoutSetting = settings.get<string>('timeouts.default', '');
      const defaultTimeoutMs = timeoutSetting ? parseDuration(timeoutSetting) : undefined;
      if (timeoutSetting && defaultTimeoutMs === undefined) this.log.warn(`setting baton.timeouts.default: "${timeoutSetting}" is not a duration (e.g. 10s, 500ms); using the built-in default`);
      const kubernetes = { kubeconfig: settings.get<string>('kubeconfig') || undefined, context: settings.get<string>('kubernetes.context') || undefined };
      const handle = await openSession(config, { batonDir: path.join(folder, '.baton'), listenerHost, defaultTimeoutMs, kubernetes, log: (m) => this.log.info(m) });
      this.attach(handle, uri);
      this.log.info(`session ${config.name} ${handle.reattached ? 'reattached' : 'opened'} from ${uri.fsPath} (${handle.session.describeState()})`);
      if (handle.lost.length) this.log.warn(`applications that died while no controller was attached: ${handle.lost.join(', ')}`);
      return handle.session;
    } finally {
      this.opening = false;
    }
  }

  /**
   * Takes over a session opened by someone else (a benchmark with a simulated backend, an
   * integration test): the views and commands then drive it like one opened from a file.
   */
  adopt(handle: SessionHandle, uri?: vscode.Uri): Session {
    if (this.handle) throw new UserError(`Session ${this.handle.session.name} is open; close it first.`);
    this.attach(handle, uri);
    return handle.session;
  }

  private attach(handle: SessionHandle, uri: vscode.Uri | undefined): void {
    this.handle = handle;
    this.configUri = uri;
    this.lastReport = undefined;
    // Only the session's own log messages are filtered by the setting; errors, runs and transitions always show.
    const settings = vscode.workspace.getConfiguration('baton');
    const minLevel = LOG_LEVEL_RANK[settings.get<LogLevel>('logLevel', 'info')] ?? LOG_LEVEL_RANK.info;
    this.unsubscribeLog = handle.session.events.subscribe((e) => {
      const line = eventLogLine(e);
      if (line && (e.type !== 'log' || LOG_LEVEL_RANK[line.level] >= minLevel)) this.log[line.level](line.text);
    });
    if (uri) void this.state?.update(LAST_CONFIG, uri.fsPath);
    this.changed.fire(handle.session);
  }

  /**
   * On start-up: reattaches to the session this workspace left running (the last opened
   * configuration, else `baton.defaultConfig`). A session whose applications are all gone
   * is released again rather than shown as if it were alive. Never boots anything.
   */
  async reattachOnStart(defaultConfig?: vscode.Uri): Promise<Session | undefined> {
    if (this.handle || launchRefusal(vscode.workspace.isTrusted)) return undefined;
    const last = this.state?.get<string>(LAST_CONFIG);
    const candidates = [last ? vscode.Uri.file(last) : undefined, defaultConfig].filter((u): u is vscode.Uri => u !== undefined);
    for (const uri of candidates) {
      if (!fs.existsSync(uri.fsPath)) continue;
      try {
        const session = await this.open(uri);
        // `this.handle` was set by open(); TypeScript still narrows it from the check above.
        if ((this.handle as SessionHandle | undefined)?.reattached || uri === defaultConfig) return session;
        await this.close(false);
      } catch (err) {
        this.log.warn(`reattach to ${uri.fsPath}: ${(err as Error).message}`);
      }
    }
    return undefined;
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
    // The report belongs to the session: "Copy Execution Report" must not offer a closed one.
    this.lastReport = undefined;
    this.unsubscribeLog?.();
    this.unsubscribeLog = undefined;
    if (!keepRunning) void this.state?.update(LAST_CONFIG, undefined);
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
