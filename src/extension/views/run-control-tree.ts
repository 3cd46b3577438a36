import * as vscode from 'vscode';
import type { SessionEvent } from '../../core/control/events';
import type { Session } from '../../core/control/session';
import type { ControlNode } from '../../core/control/tree';
import { Coalescer } from './coalescer';
import { nodeView, presentNode, type ItemPresentation } from './tree-presentation';
import { toTreeItem } from './tree-item';

/**
 * The Run Control view: the control tree of the current session. Elements are the core's
 * own nodes (stable objects), so a changed node is refreshed by firing it alone. Changes
 * arrive through the session's event stream and are coalesced to one refresh per ~16 ms.
 */
export class RunControlTreeProvider implements vscode.TreeDataProvider<ControlNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ControlNode | ControlNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private session?: Session;
  private unsubscribe?: () => void;
  private readonly coalescer: Coalescer<ControlNode>;
  /** Refreshes fired so far (benchmarks and tests read it). */
  refreshCount = 0;

  constructor() {
    this.coalescer = new Coalescer<ControlNode>((keys) => {
      this.refreshCount++;
      this.changed.fire(keys === 'all' ? undefined : [...keys]);
    });
  }

  setSession(session: Session | undefined): void {
    if (session === this.session) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.session = session;
    if (session) this.unsubscribe = session.events.subscribe((e) => this.onEvent(e));
    this.coalescer.cancel();
    this.changed.fire(undefined);
  }

  getTreeItem(node: ControlNode): vscode.TreeItem {
    // VS Code may still ask for a node of a session closed a moment ago, before the refresh
    // that empties the view reaches it: answer plainly rather than throw.
    if (!this.session) return new vscode.TreeItem(node.name);
    return toTreeItem(this.present(node));
  }

  /** The presentation of a node, for tests that read labels and icons through the API. */
  present(node: ControlNode): ItemPresentation {
    if (!this.session) throw new Error('no session');
    return presentNode(nodeView(node, this.session));
  }

  getChildren(node?: ControlNode): ControlNode[] {
    if (!this.session) return [];
    if (!node) return [this.session.tree.root];
    return node.kind === 'app' ? [] : node.children;
  }

  getParent(node: ControlNode): ControlNode | undefined {
    return node.parent;
  }

  dispose(): void {
    this.unsubscribe?.();
    this.coalescer.dispose();
    this.changed.dispose();
  }

  private onEvent(e: SessionEvent): void {
    const s = this.session;
    if (!s) return;
    switch (e.type) {
      case 'node':
      case 'process':
      case 'error': {
        const node = s.tree.find(e.path);
        if (node) this.coalescer.add(node);
        break;
      }
      case 'transition':
        // Busy or idle changes which inline actions every item offers.
        if (e.phase !== 'progress') this.coalescer.addAll();
        break;
      default:
        break;
    }
  }
}
