import * as path from 'node:path';
import type { RunConfig } from '../config/types';
import { LocalProcessManager } from '../backends/local/local-process-manager';
import { acquireSessionLock, type SessionLock } from '../backends/local/session-lock';
import { Session, type SessionOptions } from './session';
import { readSessionState, SessionStateRecorder } from './session-state';

export interface OpenSessionOptions extends Partial<Omit<SessionOptions, 'batonDir' | 'processManager'>> {
  /** The `.baton` directory (default: `.baton` in the current directory). */
  batonDir?: string;
  log?: (msg: string) => void;
}

export interface SessionHandle {
  session: Session;
  sessionDir: string;
  /** True when live applications of an earlier controller were adopted. */
  reattached: boolean;
  /** Applications recorded as running whose processes were found dead. */
  lost: string[];
  /**
   * Ends this controller. With `keepRunning`, live applications are left running and
   * recorded for a later reattach; otherwise everything still running is killed.
   */
  close(opts?: { keepRunning?: boolean }): Promise<void>;
}

export function sessionDirFor(batonDir: string, session: string): string {
  return path.join(batonDir, 'sessions', session);
}

/**
 * Opens the local session of a configuration: takes the session lock (refusing a second
 * controller), adopts applications a previous controller left running and restores their
 * FSM states, or starts fresh.
 */
export async function openLocalSession(config: RunConfig, opts: OpenSessionOptions = {}): Promise<SessionHandle> {
  if (config.backend !== 'local') throw new Error(`${config.file}: backend "${config.backend}" is not available yet; use backend: local`);
  const batonDir = path.resolve(opts.batonDir ?? '.baton');
  const sessionDir = sessionDirFor(batonDir, config.name);
  const lock: SessionLock = await acquireSessionLock(sessionDir, { session: config.name });
  let pm: LocalProcessManager | undefined;
  let session: Session | undefined;
  try {
    const record = await LocalProcessManager.readRecord(sessionDir);
    pm = record ? await LocalProcessManager.adopt({ session: config.name, sessionDir, log: opts.log }) : new LocalProcessManager({ session: config.name, sessionDir, log: opts.log });
    session = await Session.open(config, { ...opts, batonDir, processManager: pm });
    const { reattached, lost } = await restore(session, sessionDir, pm);
    const recorder = new SessionStateRecorder(session, sessionDir);
    await recorder.flush();
    const s = session;
    const manager = pm;
    let closed = false;
    return {
      session: s,
      sessionDir,
      reattached,
      lost,
      async close(closeOpts = {}) {
        if (closed) return;
        closed = true;
        const anyAlive = manager.list().some((p) => p.alive);
        await recorder.dispose();
        await s.close();
        if (closeOpts.keepRunning && anyAlive) {
          await manager.detach();
        } else {
          await manager.dispose();
          await LocalProcessManager.cleanup(sessionDir, { graceMs: 0 });
          await SessionStateRecorder.remove(sessionDir);
        }
        await lock.release();
      },
    };
  } catch (err) {
    await session?.close().catch(() => undefined);
    await pm?.dispose().catch(() => undefined);
    await lock.release().catch(() => undefined);
    throw err;
  }
}

async function restore(session: Session, sessionDir: string, pm: LocalProcessManager): Promise<{ reattached: boolean; lost: string[] }> {
  const saved = await readSessionState(sessionDir);
  const alive = new Set(pm.list().filter((p) => p.alive).map((p) => p.name));
  const lost: string[] = [];
  // Applications the configuration no longer names could never be stopped by anyone.
  for (const name of alive) {
    if (session.tree.app(name)) continue;
    await pm.kill(name);
    alive.delete(name);
  }
  if (!saved) {
    if (alive.size) {
      // Processes without FSM state cannot be driven safely; stop them rather than guess.
      for (const name of alive) await pm.kill(name);
    }
    return { reattached: false, lost };
  }
  for (const [nodePath, rec] of Object.entries(saved.nodes)) {
    const node = session.tree.find(nodePath);
    if (!node) continue;
    if (!rec.included) node.setIncluded(false);
    if (node.kind !== 'app') continue;
    const info = pm.info(node.name);
    if (info) {
      node.process = info;
      node.endpoint = { host: info.host, port: info.port };
    }
    if (alive.has(node.name)) {
      if (rec.state === session.fsm.errorState) {
        node.stateBeforeError = rec.stateBeforeError;
        node.fail(rec.error ?? 'in error before reattach');
      } else node.force(rec.state);
      node.lastOkCommand = rec.lastOkCommand;
    } else if (rec.state !== session.fsm.initial) {
      lost.push(node.name);
      node.fail('process died while no controller was attached');
    }
  }
  if (saved.run && alive.size) session.runs.active = saved.run;
  return { reattached: alive.size > 0, lost };
}
