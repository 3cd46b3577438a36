import * as vscode from 'vscode';
import type { SessionManager } from '../session-manager';
import { Dashboard, type DashboardApi } from './dashboard-panel';

/** Creates the dashboard and its command; `activate` calls it once. */
export function registerDashboard(context: vscode.ExtensionContext, manager: SessionManager): DashboardApi {
  // A click on an application in the dashboard opens its log through the ordinary command.
  const dashboard = new Dashboard(context.extensionUri, manager, (path) => vscode.commands.executeCommand('baton.showLog', path));
  context.subscriptions.push(dashboard, vscode.commands.registerCommand('baton.openDashboard', () => dashboard.open()));
  return dashboard.api;
}
