import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { InitializeResult, PublishDiagnosticsParams, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer, type ServerOptions } from '../../src/server/server';

export const ROOT = path.resolve(__dirname, '../..');
export const SERVER_JS = path.join(ROOT, 'dist', 'server.js');

/**
 * The editor's side of an LSP connection, as a test drives it: keeps its own copy of each
 * open document (so incremental edits are computed like a real client) and records every
 * diagnostics notification.
 */
export class LspClient {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly docs = new Map<string, TextDocument>();
  /** The server's log lines (window/logMessage); its handlers log what they caught. */
  readonly logs: string[] = [];
  private waiters: Array<() => void> = [];
  stderr = '';

  private constructor(
    readonly conn: MessageConnection,
    readonly child?: ChildProcess,
    private readonly onDispose?: () => void,
  ) {
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.published.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
    conn.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
    });
    conn.listen();
  }

  /** The real thing: `node dist/server.js --stdio` as a child process. */
  static spawn(): LspClient {
    const child = spawn(process.execPath, [SERVER_JS, '--stdio'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(conn, child);
    child.stderr!.on('data', (b: Buffer) => (client.stderr += b.toString()));
    return client;
  }

  /** The same server in this process over a pair of streams, for tests that inject a provider. */
  static inProcess(opts: ServerOptions): LspClient {
    const up = new PassThrough();
    const down = new PassThrough();
    const server = createConnection(ProposedFeatures.all, new StreamMessageReader(up), new StreamMessageWriter(down));
    startServer(server, opts);
    server.listen();
    const conn = createMessageConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
    return new LspClient(conn, undefined, () => server.dispose());
  }

  get alive(): boolean {
    return this.child ? this.child.exitCode === null && this.child.signalCode === null : true;
  }

  async initialize(): Promise<InitializeResult> {
    const result = await this.conn.sendRequest<InitializeResult>('initialize', { processId: null, rootUri: null, capabilities: {}, workspaceFolders: null });
    await this.conn.sendNotification('initialized', {});
    return result;
  }

  async open(uri: string, text: string): Promise<void> {
    this.docs.set(uri, TextDocument.create(uri, 'baton', 1, text));
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'baton', version: 1, text } });
  }

  /** Applies the changes to the local copy too, and returns the new version. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const old = this.docs.get(uri)!;
    const doc = TextDocument.update(TextDocument.create(uri, 'baton', old.version, old.getText()), changes, old.version + 1);
    this.docs.set(uri, doc);
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: doc.version }, contentChanges: changes });
    return doc.version;
  }

  async close(uri: string): Promise<void> {
    this.docs.delete(uri);
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.conn.sendRequest<T>(method, params);
  }

  /** The first diagnostics notification for `uri` from index `from` on that `accept`s; mocha's timeout bounds the wait. */
  async diagnostics(uri: string, accept: (p: PublishDiagnosticsParams) => boolean = () => true, from = 0): Promise<PublishDiagnosticsParams> {
    for (;;) {
      const hit = this.published.slice(from).find((p) => p.uri === uri && accept(p));
      if (hit) return hit;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async dispose(): Promise<void> {
    if (this.child && this.alive) {
      try {
        await this.request('shutdown', null);
        await this.conn.sendNotification('exit');
      } catch {
        // already gone
      }
      await new Promise<void>((resolve) => {
        if (!this.alive) return resolve();
        const t = setTimeout(() => this.child!.kill('SIGKILL'), 5000);
        this.child!.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (!this.child) await this.request('shutdown', null).catch(() => undefined);
    this.conn.dispose();
    this.onDispose?.();
  }
}

/** Text with a `§` marking the cursor: the text without it and the cursor's position. */
export function cursor(marked: string): { text: string; pos: { line: number; character: number } } {
  const i = marked.indexOf('§');
  if (i < 0) throw new Error('no § in the text');
  const text = marked.slice(0, i) + marked.slice(i + 1);
  const before = text.slice(0, i).split('\n');
  return { text, pos: { line: before.length - 1, character: before[before.length - 1].length } };
}

/** Position of the n-th occurrence of `needle`, plus `delta` characters. */
export function posOf(text: string, needle: string, delta = 0, nth = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`"${needle}" #${nth} not in the text`);
  }
  const before = text.slice(0, at + delta).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

/** xorshift32 with a fixed seed, so a failing fuzz run replays exactly. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}
