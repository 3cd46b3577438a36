import * as vscode from 'vscode';
import { followFile, type LogSink, type LogSource } from './log-source';
import { TailBuffer } from './tail-buffer';

export const LOG_SCHEME = 'baton-log';

/** Starts delivering a log's text into a sink; returns what stops it. */
export type LogSourceFactory = (sink: LogSink) => LogSource;

interface Followed {
  uri: vscode.Uri;
  buffer: TailBuffer;
  source?: LogSource;
  factory: LogSourceFactory;
  timer?: ReturnType<typeof setTimeout>;
  firedVersion: number;
}

/**
 * Application logs as read-only documents that follow the log as it grows: a
 * TextDocumentContentProvider for `baton-log:` URIs. Each document keeps only the end of the
 * log (TailBuffer), reads only appended bytes, and tells VS Code about changes at most every
 * `intervalMs`, so a chatty application never floods the editor. Editors that were scrolled
 * to the end stay at the end. The source is a file for local applications; any other
 * backend passes its own factory (e.g. `followStream` over a Kubernetes log stream).
 */
export class LogFollower implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly followed = new Map<string, Followed>();
  /** Editors (by document URI) that show the end of the log: they keep following it. */
  private readonly atEnd = new WeakMap<vscode.TextEditor, boolean>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly opts: { intervalMs?: number; maxLines?: number; maxChars?: number } = {}) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, this),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme === LOG_SCHEME) this.stop(doc.uri.toString());
      }),
      // VS Code may keep a closed document for minutes: follow a log only while a tab shows it.
      vscode.window.tabGroups.onDidChangeTabs(() => this.followShownOnly()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
        if (e.textEditor.document.uri.scheme === LOG_SCHEME) this.atEnd.set(e.textEditor, showsEnd(e.textEditor));
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme !== LOG_SCHEME) return;
        for (const editor of vscode.window.visibleTextEditors) {
          if (editor.document === e.document && this.atEnd.get(editor) !== false) revealEnd(editor);
        }
      }),
    );
  }

  /** The URI of an application's log, for `openTextDocument`. */
  static uriFor(session: string, app: string, file: string): vscode.Uri {
    return vscode.Uri.from({ scheme: LOG_SCHEME, path: `/${session}/${app}.log`, query: new URLSearchParams({ file }).toString() });
  }

  /** Registers how to read a URI's log (before it is opened); a `file` query is understood without. */
  register(uri: vscode.Uri, factory: LogSourceFactory): void {
    const key = uri.toString();
    const existing = this.followed.get(key);
    if (existing) return;
    this.followed.set(key, { uri, buffer: this.newBuffer(), factory, firedVersion: 0 });
  }

  /** Opens the log in an editor scrolled to its end. */
  async show(uri: vscode.Uri): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== 'log') await vscode.languages.setTextDocumentLanguage(doc, 'log').then(undefined, () => undefined);
    const editor = await vscode.window.showTextDocument(uri, { preview: true });
    this.atEnd.set(editor, true);
    revealEnd(editor);
    return editor;
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const key = uri.toString();
    let f = this.followed.get(key);
    if (!f) {
      const file = new URLSearchParams(uri.query).get('file');
      if (!file) return `[baton: no log source for ${uri.path}]`;
      f = { uri, buffer: this.newBuffer(), factory: (sink) => followFile(file, sink), firedVersion: 0 };
      this.followed.set(key, f);
    }
    if (!f.source) {
      const source = this.start(uri, f);
      // The document opens with the end of the log rather than empty, unless reading it drags on.
      if (source.ready) await Promise.race([source.ready, new Promise((r) => setTimeout(r, 1000))]);
    }
    f.firedVersion = f.buffer.version;
    return f.buffer.text();
  }

  /** Logs being followed now (tests check that closing a document stops its watcher). */
  get followedCount(): number {
    return [...this.followed.values()].filter((f) => f.source).length;
  }

  dispose(): void {
    for (const key of [...this.followed.keys()]) this.stop(key);
    this.changed.dispose();
    this.disposables.forEach((d) => d.dispose());
  }

  private start(uri: vscode.Uri, f: Followed): LogSource {
    const schedule = () => {
      if (f.timer) return;
      f.timer = setTimeout(() => {
        f.timer = undefined;
        if (f.buffer.version !== f.firedVersion) this.changed.fire(uri);
      }, this.opts.intervalMs ?? 100);
    };
    f.source = f.factory({
      data: (text) => {
        f.buffer.append(text);
        schedule();
      },
      reset: (reason) => {
        f.buffer.reset(reason);
        schedule();
      },
      error: (message) => {
        f.buffer.append(`\n[baton: ${message}]\n`);
        schedule();
      },
    });
    return f.source;
  }

  /** Pauses logs no tab shows (their document may linger) and resumes those shown again. */
  private followShownOnly(): void {
    const shown = new Set<string>();
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        if (tab.input instanceof vscode.TabInputText && tab.input.uri.scheme === LOG_SCHEME) shown.add(tab.input.uri.toString());
      }
    }
    for (const [key, f] of this.followed) {
      if (f.source && !shown.has(key)) {
        f.source.dispose();
        f.source = undefined;
      } else if (!f.source && shown.has(key) && vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) {
        // Shown again while VS Code still had the document: read the end of the log afresh.
        f.buffer.reset();
        this.start(f.uri, f);
      }
    }
  }

  private stop(key: string): void {
    const f = this.followed.get(key);
    if (!f) return;
    f.source?.dispose();
    if (f.timer) clearTimeout(f.timer);
    this.followed.delete(key);
  }

  private newBuffer(): TailBuffer {
    return new TailBuffer({ maxLines: this.opts.maxLines ?? 10_000, maxChars: this.opts.maxChars ?? 4 * 1024 * 1024 });
  }
}

function showsEnd(editor: vscode.TextEditor): boolean {
  const last = editor.visibleRanges[editor.visibleRanges.length - 1];
  return !last || last.end.line >= editor.document.lineCount - 2;
}

function revealEnd(editor: vscode.TextEditor): void {
  const end = new vscode.Position(Math.max(0, editor.document.lineCount - 1), 0);
  editor.revealRange(new vscode.Range(end, end), vscode.TextEditorRevealType.Default);
}

let active: LogFollower | undefined;

/** Creates the window's log follower; `activate` calls it once. */
export function registerLogFollower(context: vscode.ExtensionContext): { following(): number } {
  const follower = new LogFollower();
  active = follower;
  context.subscriptions.push(follower, { dispose: () => (active = active === follower ? undefined : active) });
  return { following: () => follower.followedCount };
}

/**
 * Opens an application's log in an editor that follows it. Local applications pass their
 * log file; other backends pass a factory, e.g. `(sink) => followStream(podLogStream, sink)`.
 */
export async function openAppLog(session: string, app: string, source: string | LogSourceFactory): Promise<vscode.TextEditor> {
  if (!active) throw new Error('the log follower is not registered');
  if (typeof source === 'string') return active.show(LogFollower.uriFor(session, app, source));
  const uri = vscode.Uri.from({ scheme: LOG_SCHEME, path: `/${session}/${app}.log` });
  active.register(uri, source);
  return active.show(uri);
}
