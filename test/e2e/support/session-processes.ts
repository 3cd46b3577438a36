// The application processes of a workspace's session, read from the files Baton keeps for a
// reattach (`.baton/sessions/<name>/processes.json`), so that a test can check what runs and
// stop whatever is left, whatever happened in the window.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalProcessManager } from '../../../src/core/backends/local/local-process-manager';
import { processRecordPath, readProcessRecord, type RecordedProcess } from '../../../src/core/backends/local/process-record';
import { sessionDirFor } from '../../../src/core/control/open-session';
import { isGroupAlive, isSameProcess } from '../../../src/core/util/process-info';

export function sessionDir(workspace: string, session: string): string {
  return sessionDirFor(path.join(workspace, '.baton'), session);
}

export async function recordedApps(workspace: string, session: string): Promise<RecordedProcess[]> {
  return (await readProcessRecord(sessionDir(workspace, session)))?.apps ?? [];
}

/** The recorded application is still the process that was started (not a reused pid). */
export const running = (app: RecordedProcess): boolean => isSameProcess(app.pid, app.processStart);

/**
 * Kills what the session's record lists, and any group among `seen` (applications observed
 * earlier in the test) still alive: the tests leave nothing behind even when the extension
 * lost track of a process.
 */
export async function stopLeftovers(workspace: string, session: string, seen: RecordedProcess[]): Promise<string[]> {
  const stopped = (await LocalProcessManager.cleanup(sessionDir(workspace, session), { graceMs: 0 }).catch(() => [])).map((a) => a.name);
  for (const app of seen) {
    if (!running(app) && !isGroupAlive(app.pgid)) continue;
    try {
      process.kill(-app.pgid, 'SIGKILL');
      stopped.push(app.name);
    } catch {
      // gone meanwhile
    }
  }
  return stopped;
}

/**
 * The same, synchronously, for a `process.on('exit')` handler: when mocha is interrupted
 * (Ctrl-C) it exits without running `after` hooks, and exit handlers cannot wait.
 */
export function killLeftoversSync(workspace: string, session: string, seen: Iterable<RecordedProcess>): void {
  let recorded: RecordedProcess[] = [];
  try {
    recorded = (JSON.parse(fs.readFileSync(processRecordPath(sessionDir(workspace, session)), 'utf8')) as { apps?: RecordedProcess[] }).apps ?? [];
  } catch {
    // no record, or a half-written one: the observed processes below still get killed
  }
  for (const app of [...recorded, ...seen]) {
    if (!running(app) && !isGroupAlive(app.pgid)) continue;
    try {
      process.kill(-app.pgid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * Runs `cleanup` (synchronous) if the process exits before `dispose` is called. Mocha does
 * not handle Ctrl-C, and a process killed by a signal runs no 'exit' handlers, so the
 * signals are turned into an orderly exit while the guard is in place.
 */
export function guardExit(cleanup: () => void): { dispose(): void } {
  const onExit = () => cleanup();
  const onSignal = (signal: NodeJS.Signals) => process.exit(SIGNAL_EXIT_CODES[signal as keyof typeof SIGNAL_EXIT_CODES] ?? 1);
  process.on('exit', onExit);
  for (const sig of Object.keys(SIGNAL_EXIT_CODES)) process.on(sig, onSignal);
  return {
    dispose() {
      process.off('exit', onExit);
      for (const sig of Object.keys(SIGNAL_EXIT_CODES)) process.off(sig, onSignal);
    },
  };
}
