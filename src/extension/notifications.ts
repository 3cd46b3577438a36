import * as vscode from 'vscode';

export interface Notice {
  level: 'info' | 'warning' | 'error';
  text: string;
}

/**
 * Non-modal messages to the operator. Each one is also published as an event, so that what
 * a command answered can be checked without reading the notification toasts (the API
 * exposes it to integration tests).
 */
export class Notifier implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Notice>();
  readonly onDidNotify = this.emitter.event;

  show(level: Notice['level'], text: string, ...items: string[]): Thenable<string | undefined> {
    this.emitter.fire({ level, text });
    if (level === 'error') return vscode.window.showErrorMessage(text, ...items);
    if (level === 'warning') return vscode.window.showWarningMessage(text, ...items);
    return vscode.window.showInformationMessage(text, ...items);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
