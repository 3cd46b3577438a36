import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { Session } from '../../core/control/session';
import { TimelineModel } from '../../core/control/timeline';
import type { SessionManager } from '../session-manager';
import { DashboardFeed, type DashboardMessage, type RenderedSummary, type WebviewMessage } from './dashboard-feed';

/** What integration tests read through the extension's API. */
export interface DashboardApi {
  /** Opens (or reveals) the dashboard and resolves once the webview asked for its snapshot. */
  open(): Promise<void>;
  /** Keeps every message posted to the webview from now on (tests; off by default, as it grows). */
  record(on: boolean): void;
  /** Messages posted since recording began or the webview last loaded. */
  posted(): readonly DashboardMessage[];
  /** What the webview reported it drew, read from its DOM. */
  rendered(): RenderedSummary | undefined;
  /** The webview's HTML as set by the extension. */
  html(): string;
}

const VIEW_TYPE = 'baton.dashboard';

/**
 * The dashboard: one webview panel per window showing the FSM diagram, the control tree and
 * the timeline of the last transitions. The timeline is recorded from the moment a session
 * opens, so a dashboard opened later still shows the transitions that led here.
 */
export class Dashboard implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private feed?: DashboardFeed;
  private timeline?: TimelineModel;
  private stopRecording?: () => void;
  private readonly disposables: vscode.Disposable[] = [];
  private posted: DashboardMessage[] = [];
  private recording = false;
  private rendered?: RenderedSummary;
  private ready?: { promise: Promise<void>; resolve: () => void };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly manager: SessionManager,
    private readonly onShowLog: (path: string) => unknown,
  ) {
    this.disposables.push(manager.onDidChangeSession((s) => this.setSession(s)));
    this.setSession(manager.session);
  }

  get api(): DashboardApi {
    return {
      open: () => this.open(),
      record: (on) => {
        this.recording = on;
        if (!on) this.posted = [];
      },
      posted: () => this.posted,
      rendered: () => this.rendered,
      html: () => this.panel?.webview.html ?? '',
    };
  }

  async open(): Promise<void> {
    if (this.panel) {
      this.panel.reveal(undefined, false);
      return this.ready?.promise;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Baton Dashboard', { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: [media],
      // A hidden dashboard costs nothing: it reloads from a fresh snapshot when shown again.
      retainContextWhenHidden: false,
    });
    panel.iconPath = vscode.Uri.joinPath(media, 'baton.svg');
    this.panel = panel;
    this.resetReady();
    panel.webview.html = dashboardHtml(panel.webview, media, nonce());
    const subs = [
      panel.webview.onDidReceiveMessage((m: WebviewMessage) => this.onMessage(m)),
      panel.onDidChangeViewState(() => {
        // Hidden without retained context, the webview is gone: stop producing deltas, and
        // wait for the reloaded page to ask again.
        if (!panel.visible && this.feed) {
          this.stopFeed();
          this.rendered = undefined;
          this.resetReady();
        }
      }),
    ];
    panel.onDidDispose(() => {
      subs.forEach((d) => d.dispose());
      this.stopFeed();
      this.panel = undefined;
      this.rendered = undefined;
    });
    return this.ready!.promise;
  }

  dispose(): void {
    this.panel?.dispose();
    this.stopFeed();
    this.stopRecording?.();
    this.disposables.forEach((d) => d.dispose());
  }

  private setSession(session: Session | undefined): void {
    this.stopRecording?.();
    this.stopRecording = undefined;
    this.timeline = undefined;
    if (session) {
      const model = new TimelineModel({ errorState: session.fsm.errorState, keep: 5 });
      this.timeline = model;
      this.stopRecording = session.events.subscribe((e) => model.handle(e));
    }
    if (this.panel?.visible) this.startFeed();
  }

  private onMessage(m: WebviewMessage): void {
    switch (m.type) {
      case 'ready':
        this.startFeed();
        this.ready?.resolve();
        break;
      case 'rendered':
        this.rendered = m.summary;
        break;
      case 'showLog':
        if (typeof m.path === 'string') void Promise.resolve(this.onShowLog(m.path)).catch(() => undefined);
        break;
      default:
        break;
    }
  }

  /** (Re)starts the deltas with a full snapshot: the webview has just loaded or the session changed. */
  private startFeed(): void {
    this.stopFeed();
    this.posted = [];
    const session = this.manager.session;
    if (!session || !this.timeline) {
      this.post({ type: 'empty' });
      return;
    }
    if (this.panel) this.panel.title = `Baton: ${session.name}`;
    this.feed = new DashboardFeed(session, this.timeline, (m) => this.post(m));
    this.post(this.feed.snapshot());
  }

  private stopFeed(): void {
    this.feed?.dispose();
    this.feed = undefined;
  }

  private post(m: DashboardMessage): void {
    if (!this.panel) return;
    if (this.recording) this.posted.push(m);
    void this.panel.webview.postMessage(m);
  }

  private resetReady(): void {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.ready = { promise, resolve };
  }
}

function nonce(): string {
  return crypto.randomBytes(18).toString('base64url');
}

/** The page: local script and stylesheet only, under a CSP that allows nothing else. */
export function dashboardHtml(webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>, media: vscode.Uri, n: string): string {
  const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'dashboard', 'dashboard.css'));
  const js = webview.asWebviewUri(vscode.Uri.joinPath(media, 'dashboard', 'dashboard.js'));
  const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource}`, `script-src 'nonce-${n}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp};">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css.toString()}">
<title>Baton Dashboard</title>
</head>
<body>
<header id="header" class="header"></header>
<main id="main" class="main">
  <section class="card fsm-card"><h2>State machine</h2><div id="fsm" class="fsm"></div></section>
  <section class="card tree-card"><h2>Control tree</h2><div id="tree" class="tree" role="tree"></div></section>
  <section class="card timeline-card"><h2>Transition timeline</h2><div id="timeline-tabs" class="tabs" role="tablist"></div><div id="timeline" class="timeline"></div></section>
</main>
<div id="empty" class="empty" hidden>No Baton session is open. Boot a run configuration to see it here.</div>
<script nonce="${n}" src="${js.toString()}"></script>
</body>
</html>`;
}
