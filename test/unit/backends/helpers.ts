import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AppLaunchSpec } from '../../../src/core/backends/process-manager';
import { isProcessAlive, sleep } from '../../../src/core/util/process-info';

/** Test helpers: real child processes (the running Node binary with -e scripts), temp dirs. */

export async function makeTempDir(prefix = 'baton-test-'): Promise<string> {
  return fs.promises.mkdtemp(path.join(os.tmpdir(), prefix));
}

export const TSX_CJS = require.resolve('tsx/cjs');
export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Opens a TCP server on the port given as first argument; prints its argv and env. */
export const LISTEN = `
const net = require('net');
const port = Number(process.argv[1]);
console.log('argv ' + JSON.stringify(process.argv.slice(1)));
console.log('env ' + JSON.stringify(process.env));
net.createServer((c) => c.end()).listen(port, '127.0.0.1', () => console.log('listening on ' + port));
`;

/** Like LISTEN, and exits cleanly on SIGTERM. */
export const LISTEN_GRACEFUL = `${LISTEN}
process.on('SIGTERM', () => { console.log('SIGTERM received, exiting'); process.exit(0); });
`;

/** Like LISTEN, and ignores SIGTERM. */
export const LISTEN_IGNORE_TERM = `${LISTEN}
process.on('SIGTERM', () => console.log('SIGTERM ignored'));
`;

/** Listens and forks a grandchild that ignores SIGTERM; prints "grandchild <pid>". */
export const LISTEN_WITH_GRANDCHILD = `${LISTEN_GRACEFUL}
const { spawn } = require('child_process');
const g = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
console.log('grandchild ' + g.pid);
`;

export const NEVER_LISTENS = `setInterval(() => {}, 1000); console.log('booting forever');`;

export const FAILS_AT_BOOT = `
console.log('reading configuration');
console.error('fatal: configuration key "foo" is missing');
process.exit(3);
`;

/** Braces in a script are literal, so they are escaped as a config author would have to. */
export function escapeBraces(text: string): string {
  return text.replace(/[{}]/g, (c) => c + c);
}

export function nodeApp(name: string, script: string, port = 0, extra: Partial<AppLaunchSpec> = {}): AppLaunchSpec {
  return {
    name,
    command: process.execPath,
    args: ['-e', escapeBraces(script), '{port}'],
    env: {},
    host: '127.0.0.1',
    port,
    ...extra,
  };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export async function waitForLogLine(file: string, re: RegExp, timeoutMs = 5000): Promise<RegExpMatchArray> {
  let m: RegExpMatchArray | null = null;
  await waitFor(
    () => {
      try {
        m = fs.readFileSync(file, 'utf8').match(re);
      } catch {
        m = null;
      }
      return m !== null;
    },
    timeoutMs,
    `${re} in ${file}`,
  );
  return m as unknown as RegExpMatchArray;
}

/** Tracks every pid a test creates; at the end kills stragglers and fails if any were alive. */
export class PidTracker {
  private readonly pids = new Set<number>();

  add(...pids: (number | undefined)[]): void {
    for (const p of pids) if (p !== undefined) this.pids.add(p);
  }

  async assertAllDead(): Promise<void> {
    const alive: number[] = [];
    for (const pid of this.pids) {
      // Allow a moment for a SIGKILL just sent to land.
      const deadline = Date.now() + 1000;
      while (isProcessAlive(pid) && Date.now() < deadline) await sleep(10);
      if (isProcessAlive(pid)) {
        alive.push(pid);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    this.pids.clear();
    if (alive.length) throw new Error(`processes left running: ${alive.join(', ')}`);
  }
}
