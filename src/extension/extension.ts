// Entry of dist/extension.js. Thin and lazy: registers the command table, the views and the
// status bar; the core (config loading, sessions) and the language client load on first use.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ControlNode } from '../core/control/tree';
import type { Session } from '../core/control/session';
import type { TransitionArgs } from '../core/control/command-data';
import type { SessionHandle } from '../core/control/open-session';
import { Notifier, type Notice } from './notifications';
import { commandTable, guarded } from './commands';
import { SessionManager, type StepReport } from './session-manager';
import { SessionStatus } from './session-status';
import { lazyBundle } from './lazy-module';
import { RunControlTreeProvider } from './views/run-control-tree';
import { registerClusters, type ClustersApi } from './clusters/register';
import { registerDashboard } from './dashboard/register';
import type { DashboardApi } from './dashboard/dashboard-panel';
import { registerLogFollower } from './logs/log-follower';
import type { ItemPresentation } from './views/tree-presentation';

/** What `activate` returns: the surface integration tests and other extensions drive. */
export interface BatonApi {
  /** The session this window controls, if any. */
  session(): Session | undefined;
  /** Opens (or reattaches to) the configuration's session without booting anything. */
  open(configUri: vscode.Uri | string): Promise<Session>;
  /** Opens the session and runs `boot` when the FSM allows it (no prompts, no notification). */
  boot(configUri: vscode.Uri | string): Promise<Session>;
  /** Runs a transition or sequence without prompts. */
  run(step: string, args?: TransitionArgs, at?: string): Promise<StepReport>;
  /** Closes the session, keeping or terminating its applications. */
  close(keepRunning?: boolean): Promise<void>;
  lastReport(): StepReport | undefined;
  tree: {
    roots(): ControlNode[];
    children(node: ControlNode): ControlNode[];
    item(node: ControlNode): ItemPresentation;
    /** Refreshes the view has fired (coalesced). */
    readonly refreshCount: number;
    /** The real vscode.TreeItem the view gets for a node. */
    treeItem(node: ControlNode): vscode.TreeItem;
    /** Fires with each (coalesced) refresh of the view. */
    onDidRefresh: vscode.Event<unknown>;
  };
  statusBarText(): string;
  contextKeys(): Readonly<Record<string, boolean | string>>;
  /** The Clusters view: contexts, nodes, pods, this machine. */
  clusters: ClustersApi;
  /** Time `activate` took, ms (measured inside it). */
  readonly activationMs: number;
  /** Every non-modal message a command showed to the operator. */
  onDidNotify: vscode.Event<Notice>;
  /** Hands the window a session opened elsewhere (e.g. with a simulated backend). */
  adopt(handle: SessionHandle): Session;
  /** Runs exactly what closing or reloading the window runs (`baton.onWindowClose` decides). */
  simulateWindowClose(): Promise<void>;
  /** Runs the start-up reattach (what the next window does), as `activate` runs it. */
  reactivate(): Promise<Session | undefined>;
  /** The dashboard webview: what was posted to it and what it drew. */
  dashboard: DashboardApi;
  /** Application logs followed in editors (baton-log: documents). */
  logs: { following(): number };
}

interface LanguageClientLike {
  stop(): Promise<void>;
}

let manager: SessionManager | undefined;
/** vscode-languageclient is the largest dependency: dist/language-client.js, loaded with the first run configuration. */
const languageClient = lazyBundle<typeof import('./language-client')>('language-client');
let client: Promise<LanguageClientLike | undefined> | undefined;

export function activate(context: vscode.ExtensionContext): BatonApi {
  const activationStart = performance.now();
  const log = vscode.window.createOutputChannel('Baton', { log: true });
  const notify = new Notifier();
  const mgr = new SessionManager(log, context.workspaceState);
  manager = mgr;
  const tree = new RunControlTreeProvider();
  const status = new SessionStatus(mgr);
  context.subscriptions.push(log, notify, mgr, tree, status);

  const view = vscode.window.createTreeView('baton.runControl', { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(view, mgr.onDidChangeSession((s) => tree.setSession(s)));
  const clusters = registerClusters(context, { manager: mgr, runControlView: view, log, guard: (id, fn) => guarded(id, fn, log, notify) });

  for (const [id, fn] of Object.entries(commandTable({ manager: mgr, log, notify, extensionUri: context.extensionUri }))) {
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(id, fn, log, notify)));
  }
  const dashboard = registerDashboard(context, mgr);
  const logs = registerLogFollower(context);

  context.subscriptions.push(
    vscode.languages.registerCodeLensProvider(
      { language: 'baton' },
      {
        onDidChangeCodeLenses: mgr.onDidChangeSession as vscode.Event<void>,
        // Boot is offered only while no session is open; the open session's file leads to its view instead.
        provideCodeLenses: (doc) => {
          if (!vscode.workspace.isTrusted) return [];
          const top = new vscode.Range(0, 0, 0, 0);
          const open = mgr.session;
          if (!open) return [new vscode.CodeLens(top, { title: '$(rocket) Boot with Baton', command: 'baton.selectConfig', arguments: [doc.uri] })];
          return open.config.file === doc.uri.fsPath ? [new vscode.CodeLens(top, { title: `$(list-tree) Baton session "${open.name}" is open`, command: 'baton.runControl.focus' })] : [];
        },
      },
    ),
  );

  // The language server starts with the first run configuration opened, never before.
  const startClient = (doc: vscode.TextDocument) => {
    if (client || doc.languageId !== 'baton') return;
    client = Promise.resolve()
      .then(() => languageClient().startLanguageClient(context, log))
      .catch((err: Error) => {
        log.error(`language server: ${err.message}`);
        return undefined;
      });
  };
  vscode.workspace.textDocuments.forEach(startClient);
  context.subscriptions.push(vscode.workspace.onDidOpenTextDocument(startClient));

  // Reattach to the session a previous window left running (or the default one) so the view
  // shows its true state; never boots. After activate returns: it loads the core.
  const reattach = () => {
    const defaultConfig = vscode.workspace.getConfiguration('baton').get<string>('defaultConfig');
    return mgr.reattachOnStart(defaultConfig ? toUri(defaultConfig) : undefined);
  };
  setImmediate(() => void reattach().catch((err: Error) => log.warn(`reattach: ${err.message}`)));

  const activationMs = performance.now() - activationStart;
  return {
    activationMs,
    dashboard,
    logs,
    onDidNotify: notify.onDidNotify,
    adopt: (handle) => mgr.adopt(handle),
    simulateWindowClose: () => mgr.shutdown(),
    reactivate: reattach,
    session: () => mgr.session,
    open: (uri) => mgr.open(toUri(uri)),
    async boot(uri) {
      const session = await mgr.open(toUri(uri));
      if (session.allowed().includes('boot')) await mgr.run('boot');
      return session;
    },
    run: (step, args = {}, at = '') => mgr.run(step, args, at),
    close: (keepRunning = false) => mgr.close(keepRunning),
    lastReport: () => mgr.lastReport,
    tree: {
      roots: () => tree.getChildren(),
      children: (node) => tree.getChildren(node),
      item: (node) => tree.present(node),
      treeItem: (node) => tree.getTreeItem(node),
      onDidRefresh: tree.onDidChangeTreeData,
      get refreshCount() {
        return tree.refreshCount;
      },
    },
    statusBarText: () => status.text,
    contextKeys: () => status.contextKeys,
    clusters,
  };
}

/** Closing or reloading the window: keep the applications for a reattach, or stop them (setting). */
export async function deactivate(): Promise<void> {
  const stopping = client?.then((c) => c?.stop()).catch(() => undefined);
  client = undefined;
  await manager?.shutdown();
  manager = undefined;
  await stopping;
}

function toUri(u: vscode.Uri | string): vscode.Uri {
  if (typeof u !== 'string') return u;
  if (path.isAbsolute(u)) return vscode.Uri.file(u);
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? vscode.Uri.joinPath(folder.uri, u) : vscode.Uri.file(path.resolve(u));
}
