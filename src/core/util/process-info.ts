import * as fs from 'node:fs';

/**
 * Facts about other processes, read from the kernel. Used to recognise "the same process"
 * across Baton restarts: a pid alone is not an identity, because the kernel reuses pids.
 * The pair (pid, start time) is, for the lifetime of the machine's boot.
 */

interface ProcStat {
  /** Single-letter state (R, S, D, Z, T, ...). */
  state: string;
  /** Field 5: process group id. */
  pgrp: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  startTime: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // no /proc (not Linux) or no such process
  }
  // Field 2 (comm) is in parentheses and may itself contain spaces and ')', so split
  // after the LAST ')'. What follows starts with field 3 (state).
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const startTime = Number(rest[22 - 3]);
  const pgrp = Number(rest[5 - 3]);
  if (!rest[0] || !Number.isFinite(startTime) || !Number.isFinite(pgrp)) return undefined;
  return { state: rest[0], pgrp, startTime };
}

/**
 * The process's start time (/proc/<pid>/stat field 22), or undefined when it cannot be
 * read (process gone, or no /proc on this platform).
 */
export function readProcessStart(pid: number): number | undefined {
  return readProcStat(pid)?.startTime;
}

/**
 * True when a process with this pid exists and is not a zombie. EPERM means it exists
 * but belongs to someone else: still alive. A zombie has exited and only waits for its
 * parent to reap it (orphans may wait a long time when pid 1 does not reap), so it
 * counts as dead.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return readProcStat(pid)?.state !== 'Z';
}

/**
 * Is `pid` alive and the very process that was recorded with start time `processStart`?
 * When either start time is unknown (no /proc) only liveness can be checked.
 */
export function isSameProcess(pid: number, processStart: number | undefined): boolean {
  if (!isProcessAlive(pid)) return false;
  if (processStart === undefined) return true;
  const now = readProcessStart(pid);
  return now === undefined || now === processStart;
}

/**
 * Does a live (non-zombie) process still belong to process group `pgid`? On Linux the
 * group's members are read from /proc, because kill(-pgid, 0) also succeeds for zombies,
 * and orphaned zombies can linger forever when pid 1 does not reap them. Elsewhere
 * kill(-pgid, 0) is the best available answer.
 */
export function isGroupAlive(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  let names: string[] | undefined;
  try {
    names = fs.readdirSync('/proc');
  } catch {
    names = undefined;
  }
  if (names && names.includes('self')) {
    for (const n of names) {
      if (!/^[0-9]+$/.test(n)) continue;
      const st = readProcStat(Number(n));
      if (st && st.pgrp === pgid && st.state !== 'Z') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Send a signal to a whole process group. Returns false when the group no longer exists.
 * Refuses pgid <= 1: kill(-1) would signal every process we may signal, and a pgid of 0
 * would mean our own group.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`refusing to signal process group ${pgid}`);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
