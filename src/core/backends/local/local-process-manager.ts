import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppLaunchSpec, AppProcessInfo, ProcessManager, StartOptions } from '../process-manager';
import { expandPlaceholders } from '../placeholders';
import { isGroupAlive, isProcessAlive, isSameProcess, readProcessStart, signalGroup, sleep } from '../../util/process-info';
import { START_MARKER, readLogTail } from './log-tail';
import { tcpPing } from '../../protocol/ping';
import { assertPortFree, findFreePort } from './ports';
import {
  ProcessRecordWriter,
  processRecordPath,
  readProcessRecord,
  removeProcessRecord,
  type ProcessRecord,
  type RecordedProcess,
} from './process-record';

export type { ProcessRecord, RecordedProcess } from './process-record';

export interface LocalProcessManagerOptions {
  session: string;
  /** `.baton/sessions/<session>`: holds logs/ and processes.json. */
  sessionDir: string;
  log?: (msg: string) => void;
  /** How often adopted processes (not our children) are checked for death. Default 250 ms. */
  pollMs?: number;
}

/** AppProcessInfo plus what only the local backend knows. */
export interface LocalAppProcessInfo extends AppProcessInfo {
  pgid?: number;
  /** Found in the record of an earlier Baton process rather than started by this one. */
  adopted?: boolean;
  command?: string;
  args?: string[];
}

interface Entry {
  name: string;
  host: string;
  port: number;
  pid: number;
  pgid: number;
  logFile: string;
  startedAt: number;
  processStart?: number;
  command: string;
  args: string[];
  /** Our child; undefined for adopted processes. */
  child?: ChildProcess;
  alive: boolean;
  exitCode?: number | null;
  signal?: string | null;
  reason?: string;
  /** Set by stop/kill (and boot failures we cause): the exit is Baton's doing. */
  stopReason?: string;
  exited: Promise<void>;
  markExited: () => void;
  pollTimer?: NodeJS.Timeout;
}

/** Leftovers of a dead application's group are given this long to disappear after SIGKILL. */
const GROUP_GONE_WAIT_MS = 1000;
const PING_INTERVAL_MS = 30;
const PING_TIMEOUT_MS = 1000;

/**
 * Runs applications as local child processes.
 *
 * - Never through a shell: the command and its arguments go to execve as they are, so
 *   nothing in a configuration can be interpreted as shell syntax.
 * - Each application leads its own process group (`detached: true`), so stopping it also
 *   stops whatever it forked, and Ctrl-C in Baton's terminal does not reach it.
 * - stdout and stderr go straight to `<sessionDir>/logs/<name>.log` (the child writes to
 *   the file itself, so logs survive Baton exiting and cost Baton no CPU).
 * - `<sessionDir>/processes.json` is rewritten on every start and exit, so that a later
 *   Baton process can adopt or clean up what is running.
 */
export class LocalProcessManager implements ProcessManager {
  readonly kind = 'local';
  readonly session: string;
  readonly sessionDir: string;
  private readonly log: (msg: string) => void;
  private readonly pollMs: number;
  private readonly entries = new Map<string, Entry>();
  private readonly starting = new Set<string>();
  private readonly listeners = new Set<(info: AppProcessInfo) => void>();
  private readonly record: ProcessRecordWriter;
  private disposed = false;

  constructor(options: LocalProcessManagerOptions) {
    this.session = options.session;
    this.sessionDir = options.sessionDir;
    this.log = options.log ?? (() => undefined);
    this.pollMs = options.pollMs ?? 250;
    this.record = new ProcessRecordWriter(processRecordPath(this.sessionDir), () => this.snapshot());
  }

  get logDir(): string {
    return path.join(this.sessionDir, 'logs');
  }

  logFileFor(name: string): string {
    return path.join(this.logDir, `${name}.log`);
  }

  async start(spec: AppLaunchSpec, opts: StartOptions): Promise<LocalAppProcessInfo> {
    const name = spec.name;
    const app = `application "${name}"`;
    if (this.disposed) throw new Error(`${app}: the process manager has been disposed`);
    checkAppName(name);
    if (!(opts.timeoutMs > 0)) throw new Error(`${app}: boot timeout must be a positive number of ms, got ${opts.timeoutMs}`);
    const existing = this.entries.get(name);
    if (this.starting.has(name) || existing?.alive) {
      throw new Error(`${app} is already running${existing ? ` (pid ${existing.pid})` : ''}`);
    }
    this.starting.add(name);
    try {
      throwIfAborted(opts.signal, app);
      let port: number;
      try {
        if (spec.port === 0) {
          port = await findFreePort(spec.host);
        } else {
          await assertPortFree(spec.host, spec.port);
          port = spec.port;
        }
      } catch (err) {
        throw new Error(`${app}: ${(err as Error).message}`);
      }
      throwIfAborted(opts.signal, app);

      const vars = { name, host: spec.host, port, session: this.session };
      const args = spec.args.map((a, i) => expandPlaceholders(a, vars, `${app} args[${i}]`));
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(spec.env)) env[k] = expandPlaceholders(v, vars, `${app} env ${k}`);
      if (spec.cwd !== undefined && !isDirectory(spec.cwd)) {
        throw new Error(`${app}: working directory "${spec.cwd}" does not exist`);
      }

      const entry = await this.spawnApp(spec, port, args, env);
      await this.persist();
      await this.waitReady(entry, opts);
      return this.toInfo(entry);
    } finally {
      this.starting.delete(name);
    }
  }

  private async spawnApp(spec: AppLaunchSpec, port: number, args: string[], env: Record<string, string>): Promise<Entry> {
    const name = spec.name;
    const app = `application "${name}"`;
    await fs.promises.mkdir(this.logDir, { recursive: true });
    // Checked again after the last await before spawning: a dispose() that began while we
    // were checking ports must not be followed by a process nobody will kill.
    if (this.disposed) throw new Error(`${app}: the process manager has been disposed`);
    const logFile = this.logFileFor(name);
    const fd = fs.openSync(logFile, 'a', 0o644);
    let child: ChildProcess;
    try {
      fs.writeSync(
        fd,
        `${START_MARKER}${new Date().toISOString()} starting "${name}" (session ${this.session}, port ${port}): ` +
          `${JSON.stringify([spec.command, ...args])}\n`,
      );
      child = spawn(spec.command, args, {
        cwd: spec.cwd,
        env,
        shell: false,
        detached: true,
        stdio: ['ignore', fd, fd],
        windowsHide: true,
      });
    } catch (err) {
      throw new Error(`${app}: cannot start "${spec.command}": ${(err as Error).message}`);
    } finally {
      // The child has its own copy of the descriptor now (spawn dups it synchronously).
      fs.closeSync(fd);
    }

    if (child.pid === undefined) {
      // The exec failed; Node reports why on 'error' in the next tick.
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
      throw new Error(`${app}: ${describeSpawnError(err, spec.command, env)}`);
    }

    const pid = child.pid;
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const entry: Entry = {
      name,
      host: spec.host,
      port,
      pid,
      pgid: pid, // detached: the child called setsid(), so it leads a new group (and session)
      logFile,
      startedAt: Date.now(),
      processStart: readProcessStart(pid),
      command: spec.command,
      args,
      child,
      alive: true,
      exited,
      markExited,
    };
    this.entries.set(name, entry);
    child.on('exit', (code, signal) => this.onEntryExit(entry, code, signal));
    child.on('error', (err) => this.log(`${app}: ${err.message}`)); // e.g. a failed kill()
    this.log(`${app} started, pid ${pid}, port ${port}, log ${logFile}`);
    return entry;
  }

  /** Poll a TCP connect until the application answers, dies, times out or is aborted. */
  private async waitReady(entry: Entry, opts: StartOptions): Promise<void> {
    const app = `application "${entry.name}"`;
    const endpoint = `${entry.host}:${entry.port}`;
    const deadline = Date.now() + opts.timeoutMs;
    const aborted = abortPromise(opts.signal);
    try {
      for (;;) {
        if (!entry.alive) throw new Error(this.bootExitMessage(entry));
        if (opts.signal?.aborted) {
          await this.terminate(entry, 'start aborted, killed by Baton');
          throw new Error(`${app}: start aborted; killed it`);
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          await this.terminate(entry, `did not answer on ${endpoint} within ${opts.timeoutMs} ms, killed by Baton`);
          throw new Error(
            `${app} did not answer on ${endpoint} within ${opts.timeoutMs} ms (boot timeout); killed it. Log: ${entry.logFile}`,
          );
        }
        const ok = await Promise.race([
          tcpPing(entry.host, entry.port, Math.min(PING_TIMEOUT_MS, remaining)),
          entry.exited.then(() => false),
          aborted.promise.then(() => false),
        ]);
        if (ok && entry.alive) return;
        if (!ok) await Promise.race([sleep(PING_INTERVAL_MS), entry.exited, aborted.promise]);
      }
    } finally {
      aborted.dispose();
    }
  }

  private bootExitMessage(entry: Entry): string {
    const status =
      entry.signal != null ? `was killed by signal ${entry.signal}` : `exited with code ${entry.exitCode ?? 'unknown'}`;
    // Stopped or killed through this manager while booting (stop, kill, dispose): say so.
    const how = entry.stopReason ? `${status} (${entry.stopReason})` : status;
    const tail = readLogTail(entry.logFile, 5);
    const quoted = tail.length ? `; last lines of ${entry.logFile}:\n${tail.map((l) => `    ${l}`).join('\n')}` : `; its log ${entry.logFile} is empty`;
    return `application "${entry.name}" ${how} before answering on ${entry.host}:${entry.port}${quoted}`;
  }

  async stop(name: string, opts: { graceMs: number }): Promise<LocalAppProcessInfo | undefined> {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    if (entry.alive) {
      entry.stopReason ??= 'stopped by Baton';
      this.signal(entry, 'SIGTERM');
      const timer = setTimeout(() => {
        if (!entry.alive) return;
        entry.stopReason = `stopped by Baton: still running ${opts.graceMs} ms after SIGTERM, killed`;
        this.signal(entry, 'SIGKILL');
      }, Math.max(0, opts.graceMs));
      try {
        await this.waitExit(entry);
      } finally {
        clearTimeout(timer);
      }
    }
    await waitGroupGone(entry.pgid);
    await this.persist(); // when stop resolves, the record no longer lists the app
    return this.toInfo(entry);
  }

  async kill(name: string): Promise<LocalAppProcessInfo | undefined> {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    await this.terminate(entry, 'killed by Baton');
    return this.toInfo(entry);
  }

  /** SIGKILL the group and wait until it is gone. */
  private async terminate(entry: Entry, reason: string): Promise<void> {
    if (entry.alive) {
      entry.stopReason ??= reason;
      this.signal(entry, 'SIGKILL');
      await this.waitExit(entry);
    }
    await waitGroupGone(entry.pgid);
    await this.persist();
  }

  info(name: string): LocalAppProcessInfo | undefined {
    const entry = this.entries.get(name);
    return entry && this.toInfo(entry);
  }

  /** Every application this manager knows, running or exited (with its exit details). */
  list(): LocalAppProcessInfo[] {
    return [...this.entries.values()].map((e) => this.toInfo(e));
  }

  onExit(listener: (info: AppProcessInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all([...this.entries.values()].map((e) => this.terminate(e, 'killed by Baton (shutdown)')));
    for (const e of this.entries.values()) clearInterval(e.pollTimer);
    await this.persist();
    this.listeners.clear();
  }

  /**
   * Stop supervising WITHOUT stopping anything: the applications keep running and
   * processes.json keeps listing them, so that a later Baton process can adopt them
   * (e.g. a VS Code window reload that should not end a run).
   */
  async detach(): Promise<void> {
    this.disposed = true;
    await this.persist();
    for (const e of this.entries.values()) {
      clearInterval(e.pollTimer);
      e.child?.removeAllListeners('exit');
      e.child?.unref(); // let this Node process exit while they run on
    }
    this.entries.clear();
    this.listeners.clear();
  }

  // --- for a later Baton process ---------------------------------------------------------

  static readRecord(sessionDir: string): Promise<ProcessRecord | undefined> {
    return readProcessRecord(sessionDir);
  }

  /**
   * A manager for processes recorded by an earlier Baton process. Only entries that are
   * alive AND the same process (same /proc start time; a recycled pid is someone else) are
   * adopted. Their death is detected by polling kill(pid, 0) every `pollMs`, because they
   * are not our children: the kernel only reports a process's exit to its parent, so there
   * is no 'exit' event (nor exit code) to wait for. The record is rewritten to list only
   * the adopted processes; leftovers of recorded applications whose leader already died
   * are killed, since nothing could control them any more.
   */
  static async adopt(options: LocalProcessManagerOptions): Promise<LocalProcessManager> {
    const manager = new LocalProcessManager(options);
    const record = await readProcessRecord(options.sessionDir);
    for (const rec of record?.apps ?? []) {
      if (!isSameProcess(rec.pid, rec.processStart)) {
        if (isProcessAlive(rec.pid)) {
          manager.log(`not adopting "${rec.name}": pid ${rec.pid} now belongs to another process`);
        } else if (isGroupAlive(rec.pgid)) {
          manager.log(`"${rec.name}" (pid ${rec.pid}) is dead; killing what is left of its process group`);
          safeSignalGroup(rec.pgid, 'SIGKILL');
        }
        continue;
      }
      manager.adoptEntry(rec);
    }
    await manager.persist();
    return manager;
  }

  /**
   * Kill every recorded application that is still running (SIGTERM to its group, SIGKILL
   * after `graceMs`), then remove the record. Returns what was killed.
   */
  static async cleanup(
    sessionDir: string,
    options: { graceMs?: number; log?: (msg: string) => void } = {},
  ): Promise<RecordedProcess[]> {
    const log = options.log ?? (() => undefined);
    const record = await readProcessRecord(sessionDir);
    const targets = (record?.apps ?? []).filter(
      (r) => isSameProcess(r.pid, r.processStart) || (!isProcessAlive(r.pid) && isGroupAlive(r.pgid)),
    );
    for (const t of targets) {
      log(`stopping "${t.name}" (pid ${t.pid})`);
      safeSignalGroup(t.pgid, 'SIGTERM');
    }
    const deadline = Date.now() + (options.graceMs ?? 2000);
    while (targets.some((t) => isGroupAlive(t.pgid)) && Date.now() < deadline) await sleep(25);
    for (const t of targets) {
      if (isGroupAlive(t.pgid)) {
        log(`"${t.name}" (pid ${t.pid}) ignored SIGTERM; killing it`);
        safeSignalGroup(t.pgid, 'SIGKILL');
      }
    }
    await Promise.all(targets.map((t) => waitGroupGone(t.pgid)));
    await removeProcessRecord(sessionDir);
    return targets;
  }

  private adoptEntry(rec: RecordedProcess): void {
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const entry: Entry = {
      name: rec.name,
      host: rec.host,
      port: rec.port,
      pid: rec.pid,
      pgid: rec.pgid,
      logFile: rec.logFile,
      startedAt: rec.startedAt,
      processStart: rec.processStart,
      command: rec.command,
      args: rec.args,
      alive: true,
      exited,
      markExited,
    };
    entry.pollTimer = setInterval(() => this.checkAdopted(entry), this.pollMs);
    // Watching must not keep a CLI alive on its own.
    entry.pollTimer.unref();
    this.entries.set(rec.name, entry);
    this.log(`adopted "${rec.name}" (pid ${rec.pid}, port ${rec.port})`);
  }

  private checkAdopted(entry: Entry): void {
    if (entry.alive && !isSameProcess(entry.pid, entry.processStart)) {
      // Exit status is unknowable for a process that is not our child.
      this.onEntryExit(entry, null, null);
    }
  }

  // --- internals ---------------------------------------------------------------------------

  private onEntryExit(entry: Entry, code: number | null, signal: NodeJS.Signals | null): void {
    if (!entry.alive) return;
    entry.alive = false;
    entry.exitCode = code;
    entry.signal = signal;
    clearInterval(entry.pollTimer);
    const status =
      entry.child === undefined && code === null && signal === null
        ? 'exit status unknown: not a child of this Baton process'
        : signal !== null
          ? `signal ${signal}`
          : `exit code ${code}`;
    entry.reason = entry.stopReason ? `${entry.stopReason} (${status})` : `exited unexpectedly (${status})`;
    // The application is its process group: whatever it forked must not outlive it.
    safeSignalGroup(entry.pgid, 'SIGKILL');
    this.log(`application "${entry.name}" ${entry.reason}`);
    entry.markExited();
    const info = this.toInfo(entry);
    for (const l of [...this.listeners]) {
      try {
        l(info);
      } catch (err) {
        this.log(`onExit listener failed: ${(err as Error).message}`);
      }
    }
    if (!this.disposed || this.entries.has(entry.name)) void this.persist();
  }

  /** Signal the application's group, making sure an adopted pid was not recycled meanwhile. */
  private signal(entry: Entry, sig: NodeJS.Signals): void {
    if (!entry.alive) return;
    if (entry.child === undefined && !isSameProcess(entry.pid, entry.processStart)) {
      this.checkAdopted(entry);
      return;
    }
    safeSignalGroup(entry.pgid, sig);
  }

  private async waitExit(entry: Entry): Promise<void> {
    if (entry.child !== undefined) return entry.exited;
    // Adopted: poll faster than the background watch while someone is waiting on us.
    while (entry.alive) {
      this.checkAdopted(entry);
      if (entry.alive) await Promise.race([sleep(20), entry.exited]);
    }
  }

  private async persist(): Promise<void> {
    try {
      await this.record.update();
    } catch (err) {
      this.log(`cannot write ${processRecordPath(this.sessionDir)}: ${(err as Error).message}`);
    }
  }

  private snapshot(): ProcessRecord {
    const apps: RecordedProcess[] = [];
    for (const e of this.entries.values()) {
      if (!e.alive) continue;
      const rec: RecordedProcess = {
        name: e.name,
        pid: e.pid,
        pgid: e.pgid,
        host: e.host,
        port: e.port,
        logFile: e.logFile,
        startedAt: e.startedAt,
        command: e.command,
        args: e.args,
      };
      if (e.processStart !== undefined) rec.processStart = e.processStart;
      apps.push(rec);
    }
    return { version: 1, session: this.session, ownerPid: process.pid, updatedAt: new Date().toISOString(), apps };
  }

  private toInfo(e: Entry): LocalAppProcessInfo {
    const info: LocalAppProcessInfo = {
      name: e.name,
      host: e.host,
      port: e.port,
      pid: e.pid,
      pgid: e.pgid,
      alive: e.alive,
      logFile: e.logFile,
      startedAt: e.startedAt,
      command: e.command,
      args: [...e.args],
      adopted: e.child === undefined,
    };
    if (!e.alive) {
      info.exitCode = e.exitCode ?? null;
      info.signal = e.signal ?? null;
      info.reason = e.reason;
      info.expected = e.stopReason !== undefined;
    }
    return info;
  }
}

/** Names become file names (`logs/<name>.log`), so they must not be able to escape the directory. */
function checkAppName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(
      `application name ${JSON.stringify(name)} is not allowed: use letters, digits, ".", "_" and "-", starting with a letter or digit`,
    );
  }
}

function describeSpawnError(err: NodeJS.ErrnoException, command: string, env: Record<string, string>): string {
  if (err.code === 'ENOENT') {
    if (command.includes('/')) return `executable "${command}" not found`;
    const where =
      env.PATH !== undefined
        ? `searched PATH of its environment: ${env.PATH || '(empty)'}`
        : 'its environment has no PATH, so only the system default path was searched; add PATH: getenv to its env';
    return `executable "${command}" not found (${where})`;
  }
  if (err.code === 'EACCES') return `executable "${command}" cannot be run (permission denied; is it executable?)`;
  return `cannot start "${command}": ${err.message}`;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function throwIfAborted(signal: AbortSignal | undefined, app: string): void {
  if (signal?.aborted) throw new Error(`${app}: start aborted`);
}

function abortPromise(signal: AbortSignal | undefined): { promise: Promise<void>; dispose: () => void } {
  if (!signal) return { promise: new Promise<void>(() => undefined), dispose: () => undefined };
  let onAbort!: () => void;
  const promise = new Promise<void>((resolve) => {
    onAbort = resolve;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

function safeSignalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    signalGroup(pgid, sig);
  } catch {
    // EPERM: not ours to signal (cannot happen for groups we created); nothing better to do.
  }
}

/** After the leader is gone, give SIGKILLed leftovers of its group a moment to vanish. */
async function waitGroupGone(pgid: number): Promise<void> {
  const deadline = Date.now() + GROUP_GONE_WAIT_MS;
  while (isGroupAlive(pgid) && Date.now() < deadline) await sleep(10);
}
