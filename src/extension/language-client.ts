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
    initializationOptions: { cluster: clusterSettings() },
  };
  const client = new LanguageClient('baton', 'Baton Language Server', serverOptions, clientOptions);
  await client.start();
  // The server's cluster checks follow the settings (and trust) without a restart.
  const resend = () => void client.sendNotification('workspace/didChangeConfiguration', { settings: { batonCluster: clusterSettings() } }).catch(() => undefined);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('baton.kubeconfig') || e.affectsConfiguration('baton.kubernetes.context')) resend();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(resend),
  );
  log.info('language server started');
  return client;
}

/**
 * What the language server's cluster provider reads (see ClusterSettings in
 * core/backends/kubernetes/cluster-info-provider.ts). Off in an untrusted workspace: a
 * kubeconfig may run programs (exec plugins) when a cluster is contacted.
 */
function clusterSettings(): { kubeconfig?: string; context?: string; enabled: boolean } {
  const cfg = vscode.workspace.getConfiguration('baton');
  return { kubeconfig: cfg.get<string>('kubeconfig') || undefined, context: cfg.get<string>('kubernetes.context') || undefined, enabled: vscode.workspace.isTrusted };
}
