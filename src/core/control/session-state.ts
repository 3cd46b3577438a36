import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../util/atomic-file';
import type { ActiveRun } from './run-book';
import type { Session } from './session';

export const SESSION_STATE_FILE = 'state.json';

export interface RecordedNode {
  state: string;
  included: boolean;
  error?: string;
  stateBeforeError?: string;
  lastOkCommand?: string;
}

/** `<sessionDir>/state.json`: the FSM side of a session, for `baton status` and reattach. */
export interface SessionStateRecord {
  version: 1;
  session: string;
  configFile: string;
  controllerPid: number;
  updatedAt: string;
  run?: ActiveRun;
  /** By node path; segments are listed only when excluded (their state is derived). */
  nodes: Record<string, RecordedNode>;
}

export function sessionStatePath(sessionDir: string): string {
  return path.join(sessionDir, SESSION_STATE_FILE);
}

export function readSessionState(sessionDir: string): Promise<SessionStateRecord | undefined> {
  return readJsonFile<SessionStateRecord>(sessionStatePath(sessionDir));
}

export function snapshotSession(session: Session): SessionStateRecord {
  const nodes: Record<string, RecordedNode> = {};
  for (const node of session.tree.walk()) {
    if (node.kind === 'app') {
      nodes[node.path] = {
        state: node.state,
        included: node.includedHere,
        error: node.error?.message,
        stateBeforeError: node.stateBeforeError,
        lastOkCommand: node.lastOkCommand,
      };
    } else if (!node.includedHere) {
      nodes[node.path] = { state: node.state, included: false };
    }
  }
  return {
    version: 1,
    session: session.name,
    configFile: session.config.file,
    controllerPid: process.pid,
    updatedAt: new Date().toISOString(),
    run: session.runs.active,
    nodes,
  };
}

/**
 * Keeps state.json current. Writes are coalesced (a transition over a thousand
 * applications is one write, not a thousand) and serialised so the file is never torn.
 */
export class SessionStateRecorder {
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(private readonly session: Session, private readonly sessionDir: string, private readonly delayMs = 100) {
    this.unsubscribe = session.events.subscribe((e) => {
      if (e.type === 'log' || (e.type === 'transition' && e.phase === 'progress')) return;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delayMs);
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const snapshot = snapshotSession(this.session);
    this.writing = this.writing.then(() => writeJsonAtomic(sessionStatePath(this.sessionDir), snapshot)).catch(() => undefined);
    return this.writing;
  }

  async dispose(): Promise<void> {
    this.unsubscribe();
    await this.flush();
  }

  static async remove(sessionDir: string): Promise<void> {
    await fs.promises.rm(sessionStatePath(sessionDir), { force: true });
  }
}
