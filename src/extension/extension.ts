// Entry of dist/extension.js. Thin and lazy: registers the command table, the views and the
// status bar; the core (config loading, sessions) and the language client load on first use.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ControlNode } from '../core/control/tree';
import type { Session } from '../core/control/session';
import type { TransitionArgs } from '../core/control/command-data';
import { commandTable, guarded } from './commands';
import { SessionManager, type StepReport } from './session-manager';
import { SessionStatus } from './session-status';
import { RunControlTreeProvider } from './views/run-control-tree';
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
  };
  statusBarText(): string;
  contextKeys(): Readonly<Record<string, boolean | string>>;
}

interface LanguageClientLike {
  stop(): Promise<void>;
}

let manager: SessionManager | undefined;
let client: Promise<LanguageClientLike | undefined> | undefined;

export function activate(context: vscode.ExtensionContext): BatonApi {
  const log = vscode.window.createOutputChannel('Baton', { log: true });
  const mgr = new SessionManager(log);
  manager = mgr;
  const tree = new RunControlTreeProvider();
  const status = new SessionStatus(mgr);
  context.subscriptions.push(log, mgr, tree, status);

  const view = vscode.window.createTreeView('baton.runControl', { treeDataProvider: tree, showCollapseAll: true });
  const clusters = vscode.window.registerTreeDataProvider('baton.clusters', { getTreeItem: (x: vscode.TreeItem) => x, getChildren: () => [] });
  context.subscriptions.push(view, clusters, mgr.onDidChangeSession((s) => tree.setSession(s)));

  for (const [id, fn] of Object.entries(commandTable({ manager: mgr, log, extensionUri: context.extensionUri }))) {
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(id, fn, log)));
  }

  context.subscriptions.push(
    vscode.languages.registerCodeLensProvider(
      { language: 'baton' },
      {
        provideCodeLenses: (doc) =>
          vscode.workspace.isTrusted ? [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { title: '$(rocket) Boot with Baton', command: 'baton.selectConfig', arguments: [doc.uri] })] : [],
      },
    ),
  );

  // The language server starts with the first run configuration opened, never before.
  const startClient = (doc: vscode.TextDocument) => {
    if (client || doc.languageId !== 'baton') return;
    client = import('./language-client.js')
      .then((m) => m.startLanguageClient(context, log))
      .catch((err: Error) => {
        log.error(`language server: ${err.message}`);
        return undefined;
      });
  };
  vscode.workspace.textDocuments.forEach(startClient);
  context.subscriptions.push(vscode.workspace.onDidOpenTextDocument(startClient));

  const defaultConfig = vscode.workspace.getConfiguration('baton').get<string>('defaultConfig');
  if (defaultConfig && vscode.workspace.isTrusted) {
    // Reattach to the default session so the view shows its true state; never boots.
    void mgr.open(toUri(defaultConfig)).catch((err: Error) => log.warn(`default configuration ${defaultConfig}: ${err.message}`));
  }

  return {
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
      get refreshCount() {
        return tree.refreshCount;
      },
    },
    statusBarText: () => status.text,
    contextKeys: () => status.contextKeys,
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
