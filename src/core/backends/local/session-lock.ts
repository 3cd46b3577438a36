import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LockBusyError, acquireLock, type LockHandle, type LockOwner } from '../../util/lock-file';

/**
 * One controller per session: two Baton processes (say, two VS Code windows) driving the
 * same applications would send them conflicting commands. The lock is a file in the
 * session directory; a lock left by a dead Baton is taken over automatically.
 */

export const SESSION_LOCK_FILE = 'session.lock';

export interface SessionLock {
  readonly session: string;
  readonly sessionDir: string;
  readonly file: string;
  readonly owner: LockOwner;
  release(): Promise<void>;
}

export class SessionBusyError extends Error {
  constructor(
    readonly session: string,
    readonly owner: LockOwner | undefined,
  ) {
    super(
      owner
        ? `session "${session}" is already controlled by process ${owner.pid}` +
            `${owner.hostname !== os.hostname() ? ` on host ${owner.hostname}` : ''} (started ${owner.createdAt})`
        : `session "${session}" is already controlled by another process`,
    );
    this.name = 'SessionBusyError';
  }
}

export async function acquireSessionLock(
  sessionDir: string,
  options: { session?: string; timeoutMs?: number } = {},
): Promise<SessionLock> {
  const session = options.session ?? path.basename(path.resolve(sessionDir));
  await fs.promises.mkdir(sessionDir, { recursive: true });
  const file = path.join(sessionDir, SESSION_LOCK_FILE);
  let handle: LockHandle;
  try {
    // Default: fail at once. Waiting for another live controller to go away is rarely
    // what a user wants; they want to be told who holds the session.
    handle = await acquireLock(file, { timeoutMs: options.timeoutMs ?? 0 });
  } catch (err) {
    if (err instanceof LockBusyError) throw new SessionBusyError(session, err.owner);
    throw err;
  }
  return { session, sessionDir, file, owner: handle.owner, release: () => handle.release() };
}
