import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

/**
 * Starts dist/server.js for `baton` documents. Called only once such a document is open,
 * so a window without run configurations never pays for the server.
 */
export async function startLanguageClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<LanguageClient> {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'baton' }],
    outputChannel: log,
  };
  const client = new LanguageClient('baton', 'Baton Language Server', serverOptions, clientOptions);
  await client.start();
  log.info('language server started');
  return client;
}
