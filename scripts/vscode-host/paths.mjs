// Shared locations and pinned versions for setup.mjs and run-tests.mjs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE_DIR = process.env.BATON_VSCODE_TEST_DIR
  ? path.resolve(process.env.BATON_VSCODE_TEST_DIR)
  : path.join(REPO_ROOT, '.vscode-test');
export const MARKER = path.join(CACHE_DIR, 'setup-complete.json');

export const VERSIONS = {
  // code-server 4.100.3 ships VS Code 1.100.3 and requires Node 20 (engines.node "20").
  codeServer: '4.100.3',
  playwrightCore: '1.65.1',
  nativeModules: ['@parcel/watcher', '@vscode/spdlog', 'node-pty', 'native-watchdog', '@vscode/deviceid', 'kerberos'],
};

export const codeServerDir = () => path.join(CACHE_DIR, 'node_modules/code-server');
export const vscodeDir = () => path.join(codeServerDir(), 'lib/vscode');
export const CHROMIUM = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
