import * as vscode from 'vscode';
import type { ItemPresentation } from './tree-presentation';

/** The one translation of a presented node into VS Code's TreeItem, for every Baton view. */
export function toTreeItem(p: ItemPresentation): vscode.TreeItem {
  const collapsible =
    p.collapsible === 'none' ? vscode.TreeItemCollapsibleState.None : p.collapsible === 'expanded' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
  const item = new vscode.TreeItem(p.label, collapsible);
  item.id = p.id;
  item.description = p.description;
  item.iconPath = new vscode.ThemeIcon(p.icon, p.color ? new vscode.ThemeColor(p.color) : undefined);
  item.contextValue = p.contextValue;
  const tooltip = new vscode.MarkdownString(p.tooltip, true);
  tooltip.isTrusted = false;
  item.tooltip = tooltip;
  return item;
}
