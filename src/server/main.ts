// Entry of dist/server.js: the language server for *.baton.yaml, over whatever transport
// the client asked for on the command line (--stdio, --node-ipc, --socket=N, --pipe=NAME).
import * as path from 'node:path';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { KubeClusterInfoProvider, type ClusterModules } from '../core/backends/kubernetes/cluster-info-provider';
import { startServer } from './server';

const connection = createConnection(ProposedFeatures.all);
// Contacts no cluster until a `backend: kubernetes` document asks, and none at all until the client's settings enable it.
const cluster = new KubeClusterInfoProvider({
  settings: { enabled: false },
  // dist/session-core.js, next to this file: the Kubernetes client is parsed only when a cluster is asked for.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a separate bundle on purpose
  modules: () => require(path.join(__dirname, 'session-core.js')) as ClusterModules,
  log: (m) => connection.console.info(`baton: ${m}`),
});
startServer(connection, { cluster });
connection.listen();
