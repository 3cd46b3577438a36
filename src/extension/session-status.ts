import * as vscode from 'vscode';
import type { Session } from '../core/control/session';
import { Coalescer } from './views/coalescer';
import type { SessionManager } from './session-manager';
import { changedKeys, contextKeys, statusBarText, statusBarTooltip, type SessionSnapshot } from './session-presentation';

/**
 * Keeps the status bar item and the `when`-clause context keys in step with the session:
 * recomputed (coalesced) on every event that can change the root state or what is allowed,
 * and once a second while a run is active (for its duration).
 */
export class SessionStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private keys?: Record<string, boolean | string>;
  private unsubscribe?: () => void;
  private ticker?: ReturnType<typeof setInterval>;
  private progress?: { name: string; done: number; total: number };
  private readonly coalescer = new Coalescer<0>(() => this.update(), 16);
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly manager: SessionManager) {
    this.item = vscode.window.createStatusBarItem('baton.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Baton';
    this.item.command = 'baton.transition';
    this.disposables.push(manager.onDidChangeSession((s) => this.attach(s)), manager.onDidReport(() => this.coalescer.add(0)));
    this.attach(manager.session);
  }

  private snapshot(): SessionSnapshot {
    const s = this.manager.session;
    if (!s) return { allowed: [], customFsm: false, inError: false, hasReport: this.manager.lastReport !== undefined };
    const busy = this.manager.activeStep;
    return {
      session: s.name,
      state: s.describeState(),
      allowed: busy ? ['abort'] : s.allowed(),
      busy,
      // The controller lives in dist/session-core.js: compare what the config says, not object identity across bundles.
      customFsm: s.config.fsm !== undefined,
      inError: s.state === s.fsm.errorState || s.tree.apps.some((a) => a.state === s.fsm.errorState),
      hasReport: this.manager.lastReport !== undefined,
      run: s.runs.active ? { number: s.runs.active.number, type: s.runs.active.type, startedAt: s.runs.active.startedAt } : undefined,
      progress: busy ? this.progress : undefined,
    };
  }

  /** The context keys as last set (integration tests read them through the API). */
  get contextKeys(): Readonly<Record<string, boolean | string>> {
    return this.keys ?? {};
  }

  get text(): string {
    return this.item.text;
  }

  private update(): void {
    const snap = this.snapshot();
    this.item.text = statusBarText(snap);
    this.item.tooltip = statusBarTooltip(snap);
    this.item.command = snap.session ? 'baton.transition' : 'baton.selectConfig';
    this.item.show();
    const next = contextKeys(snap);
    for (const k of changedKeys(this.keys, next)) void vscode.commands.executeCommand('setContext', k, next[k]);
    this.keys = next;
    if (snap.run && !this.ticker) this.ticker = setInterval(() => this.update(), 1000);
    else if (!snap.run && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private attach(session: Session | undefined): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.progress = undefined;
    if (session) {
      this.unsubscribe = session.events.subscribe((e) => {
        if (e.type === 'transition') {
          this.progress = e.phase === 'finished' ? undefined : { name: e.name, done: e.done, total: e.total };
          this.coalescer.add(0);
        } else if ((e.type === 'node' && e.kind === 'root') || e.type === 'run' || e.type === 'sequence' || e.type === 'error') {
          this.coalescer.add(0);
        }
      });
    }
    this.update();
  }

  dispose(): void {
    this.unsubscribe?.();
    this.coalescer.dispose();
    if (this.ticker) clearInterval(this.ticker);
    this.item.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
