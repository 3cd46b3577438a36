// Entry of dist/server.js: the language server for *.baton.yaml, over whatever transport
// the client asked for on the command line (--stdio, --node-ipc, --socket=N, --pipe=NAME).
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

const connection = createConnection(ProposedFeatures.all);
startServer(connection);
connection.listen();
