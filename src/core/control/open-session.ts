import * as path from 'node:path';
import type { RunConfig } from '../config/types';
import type { AppProcessInfo, ProcessManager } from '../backends/process-manager';
import { LocalProcessManager } from '../backends/local/local-process-manager';
import { acquireSessionLock, type SessionLock } from '../backends/local/session-lock';
import { loadKubeAccess } from '../backends/kubernetes/kube-access';
import { KubernetesProcessManager } from '../backends/kubernetes/kubernetes-process-manager';
import { detectListenerAddress } from '../backends/kubernetes/listener-address';
import { decodeClusterState, encodeClusterState } from '../backends/kubernetes/cluster-state';
import { Session, type SessionOptions } from './session';
import { readSessionState, snapshotSession, SessionStateRecorder, type SessionStateRecord } from './session-state';

export interface OpenSessionOptions extends Partial<Omit<SessionOptions, 'batonDir' | 'processManager'>> {
  /** The `.baton` directory (default: `.baton` in the current directory). */
  batonDir?: string;
  log?: (msg: string) => void;
  /** The kubernetes backend's choices from the command line or the user's settings. */
  kubernetes?: KubernetesOpenOptions;
}

export interface KubernetesOpenOptions {
  /** kubeconfig file or ':'-separated list (default $KUBECONFIG, else ~/.kube/config). */
  kubeconfig?: string;
  /** Context when the configuration names none (default: the kubeconfig's current one). */
  context?: string;
  /** Address advertised to pods for replies when the configuration gives none (default: auto-detected). */
  listenerHost?: string;
  /** Follow application logs into local files (default true). */
  followLogs?: boolean;
  /** One API request taking longer counts as the cluster being unreachable (default 15 s). */
  requestTimeoutMs?: number;
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
 * Opens the session of a configuration on the backend it names: takes the session lock,
 * adopts what an earlier controller left running (local processes from the session's
 * record, pods from the cluster's labels and annotations) with their FSM states, or
 * starts fresh.
 */
export function openSession(config: RunConfig, opts: OpenSessionOptions = {}): Promise<SessionHandle> {
  return config.backend === 'kubernetes' ? openKubernetesSession(config, opts) : openLocalSession(config, opts);
}

/**
 * Opens the local session of a configuration: takes the session lock (refusing a second
 * controller), adopts applications a previous controller left running and restores their
 * FSM states, or starts fresh.
 */
export async function openLocalSession(config: RunConfig, opts: OpenSessionOptions = {}): Promise<SessionHandle> {
  if (config.backend !== 'local') throw new Error(`${config.file}: backend is "${config.backend}", not local; open it with openSession`);
  const batonDir = path.resolve(opts.batonDir ?? '.baton');
  const sessionDir = sessionDirFor(batonDir, config.name);
  const lock: SessionLock = await acquireSessionLock(sessionDir, { session: config.name });
  let pm: LocalProcessManager | undefined;
  let session: Session | undefined;
  try {
    const record = await LocalProcessManager.readRecord(sessionDir);
    pm = record ? await LocalProcessManager.adopt({ session: config.name, sessionDir, log: opts.log }) : new LocalProcessManager({ session: config.name, sessionDir, log: opts.log });
    session = await Session.open(config, { ...opts, batonDir, processManager: pm });
    const { reattached, lost } = await restore(session, pm, await readSessionState(sessionDir));
    const recorder = new SessionStateRecorder(session, sessionDir);
    await recorder.flush();
    return sessionHandle({ session, manager: pm, sessionDir, lock, reattached, lost, recorders: [recorder], cleanup: () => LocalProcessManager.cleanup(sessionDir, { graceMs: 0 }) });
  } catch (err) {
    await session?.close().catch(() => undefined);
    await pm?.dispose().catch(() => undefined);
    await lock.release().catch(() => undefined);
    throw err;
  }
}

/**
 * Opens the kubernetes session of a configuration. The context is the configuration's
 * spec.kubernetes.context, else the caller's choice, else the kubeconfig's current one.
 * The FSM state of a live session comes from this machine's record when there is one,
 * else from the namespace (so a second operator elsewhere sees the same truth), and is
 * written to both after every transition.
 */
export async function openKubernetesSession(config: RunConfig, opts: OpenSessionOptions = {}): Promise<SessionHandle> {
  if (config.backend !== 'kubernetes') throw new Error(`${config.file}: backend is "${config.backend}", not kubernetes`);
  const k = opts.kubernetes ?? {};
  const access = loadKubeAccess({ kubeconfig: k.kubeconfig, context: config.kubernetes.context ?? k.context });
  const batonDir = path.resolve(opts.batonDir ?? '.baton');
  const sessionDir = sessionDirFor(batonDir, config.name);
  const lock: SessionLock = await acquireSessionLock(sessionDir, { session: config.name });
  let pm: KubernetesProcessManager | undefined;
  let session: Session | undefined;
  try {
    // The backend's messages reach every front end through the session's events once it exists.
    const sink: { events?: Session['events'] } = {};
    const say = (level: 'info' | 'warn', message: string) => {
      opts.log?.(message);
      sink.events?.emit({ type: 'log', level, message });
    };
    pm = await KubernetesProcessManager.open({ access, config, sessionDir, log: (m) => say('info', m), warn: (m) => say('warn', m), followLogs: k.followLogs, requestTimeoutMs: k.requestTimeoutMs });
    const listenerHost = config.kubernetes.listenerHost ?? k.listenerHost ?? (await detectListenerAddress(access.server));
    session = await Session.open(config, { ...opts, batonDir, processManager: pm, listenerHost, answerHost: opts.answerHost ?? listenerHost });
    sink.events = session.events;
    const local = await readSessionState(sessionDir);
    const fromCluster = decodeClusterState(pm.recordedState, config);
    const { reattached, lost } = await restore(session, pm, fromCluster ?? local);
    const recorder = new SessionStateRecorder(session, sessionDir);
    await recorder.flush();
    return sessionHandle({ session, manager: pm, sessionDir, lock, reattached, lost, recorders: [recorder, new ClusterStateRecorder(session, pm)] });
  } catch (err) {
    await session?.close().catch(() => undefined);
    // A session that never opened must not leave what it found: only detach.
    await pm?.detach().catch(() => undefined);
    await lock.release().catch(() => undefined);
    throw err;
  }
}

interface OpenedSession {
  session: Session;
  manager: { list(): AppProcessInfo[]; detach(): Promise<void>; dispose(): Promise<void> };
  sessionDir: string;
  lock: SessionLock;
  reattached: boolean;
  lost: string[];
  recorders: Array<{ dispose(): Promise<void> }>;
  /** What the backend leaves behind on this machine that a terminated session must not keep. */
  cleanup?: () => Promise<unknown>;
}

/** The handle of an opened session, whatever its backend: closing keeps or ends the applications. */
function sessionHandle(o: OpenedSession): SessionHandle {
  let closed = false;
  return {
    session: o.session,
    sessionDir: o.sessionDir,
    reattached: o.reattached,
    lost: o.lost,
    async close(closeOpts = {}) {
      if (closed) return;
      closed = true;
      const anyAlive = o.manager.list().some((p) => p.alive);
      for (const r of o.recorders) await r.dispose();
      await o.session.close();
      if (closeOpts.keepRunning && anyAlive) {
        await o.manager.detach();
      } else {
        await o.manager.dispose();
        await o.cleanup?.();
        await SessionStateRecorder.remove(o.sessionDir);
      }
      await o.lock.release();
    },
  };
}

/** Writes the FSM state to the namespace after each finished transition (one request each). */
class ClusterStateRecorder {
  private readonly unsubscribe: () => void;
  private writing: Promise<void> = Promise.resolve();
  private last?: string;

  constructor(private readonly session: Session, private readonly pm: KubernetesProcessManager) {
    this.unsubscribe = session.events.subscribe((e) => {
      if (e.type === 'transition' && e.phase === 'finished') this.flush();
    });
  }

  private flush(): void {
    const json = encodeClusterState(snapshotSession(this.session));
    if (json === this.last) return;
    this.last = json;
    this.writing = this.writing.then(() => this.pm.recordState(json)).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    this.unsubscribe();
    this.flush();
    await this.writing;
  }
}

async function restore(session: Session, pm: ProcessManager, saved: SessionStateRecord | undefined): Promise<{ reattached: boolean; lost: string[] }> {
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
