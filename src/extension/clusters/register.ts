import * as vscode from 'vscode';
import type { ControlNode } from '../../core/control/tree';
import { lazyBundle } from '../lazy-module';
import type { SessionManager } from '../session-manager';
import type { ClusterElement } from '../views/clusters-model';
import { ClustersTreeProvider, type ClustersCore } from '../views/clusters-tree';
import type { ItemPresentation } from '../views/tree-presentation';
import { clustersCommands } from './clusters-commands';

/** What tests (and other extensions) can read of the Clusters view. */
export interface ClustersApi {
  roots(): Promise<ClusterElement[]>;
  children(e: ClusterElement): Promise<ClusterElement[]>;
  parent(e: ClusterElement): ClusterElement | undefined;
  item(e: ClusterElement): ItemPresentation;
  /** What collapsing an element in the view does (a collapsed context stops its watches). */
  collapse(e: ClusterElement): void;
  /** Contexts being watched, with the state of their node and pod streams. */
  watching(): Array<{ context: string; nodes: string; pods: string }>;
  /** The element selected in the view. */
  selection(): readonly ClusterElement[];
  readonly refreshCount: number;
  onDidRefresh: vscode.Event<unknown>;
}

type Handler = (...args: unknown[]) => unknown;

export interface ClustersDeps {
  manager: SessionManager;
  runControlView: vscode.TreeView<ControlNode>;
  log: vscode.LogOutputChannel;
  /** Wraps a command so refusals become warnings (commands.ts `guarded`). */
  guard: (id: string, fn: Handler) => Handler;
}

/** The Clusters view, its commands and what it listens to. */
export function registerClusters(context: vscode.ExtensionContext, d: ClustersDeps): ClustersApi {
  const core = lazyBundle<ClustersCore>('session-core');
  const provider = new ClustersTreeProvider(d.manager, undefined, core);
  const view = vscode.window.createTreeView('baton.clusters', { treeDataProvider: provider, showCollapseAll: true });
  const { commands, disposable } = clustersCommands({ provider, clustersView: view, runControlView: d.runControlView, manager: d.manager, core, log: d.log });
  context.subscriptions.push(
    provider,
    view,
    disposable,
    view.onDidCollapseElement((e) => provider.collapsed(e.element)),
    view.onDidExpandElement((e) => provider.expanded(e.element)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('baton.kubeconfig') || e.affectsConfiguration('baton.kubernetes.context')) provider.reset();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => provider.reset()),
  );
  for (const [id, fn] of Object.entries(commands)) context.subscriptions.push(vscode.commands.registerCommand(id, d.guard(id, fn)));
  return {
    roots: () => provider.getChildren(),
    children: (e) => provider.getChildren(e),
    parent: (e) => provider.getParent(e),
    item: (e) => provider.present(e),
    collapse: (e) => provider.collapsed(e),
    watching: () => provider.watching(),
    selection: () => view.selection,
    get refreshCount() {
      return provider.refreshCount;
    },
    onDidRefresh: provider.onDidChangeTreeData,
  };
}
