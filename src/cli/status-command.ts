import { loadRunConfig } from '../core/config/load';
import { LocalProcessManager } from '../core/backends/local/local-process-manager';
import { sessionDirFor } from '../core/control/open-session';
import { readSessionState } from '../core/control/session-state';
import type { SegmentConfig } from '../core/config/types';
import { readLockOwner, isOwnerAlive } from '../core/util/lock-file';
import { isSameProcess } from '../core/util/process-info';
import { tcpPing } from '../core/protocol/ping';
import * as path from 'node:path';

export interface StatusRow {
  path: string;
  kind: 'segment' | 'app';
  depth: number;
  state: string;
  included: boolean;
  error?: string;
  pid?: number;
  port?: number;
  alive?: boolean;
  answering?: boolean;
}

export interface SessionStatus {
  session: string;
  live: boolean;
  controller?: { pid: number; alive: boolean };
  run?: { number: number; type: string; startedAt: number };
  rows: StatusRow[];
}

/**
 * What a session looks like from outside, read from its records and checked against the
 * processes themselves (alive, same process, answering on its port), without taking the
 * session lock, so it works while another process controls the session.
 */
export async function readStatus(configFile: string, batonDir = '.baton'): Promise<SessionStatus> {
  const config = loadRunConfig(configFile);
  const dir = sessionDirFor(path.resolve(batonDir), config.name);
  const [state, record, owner] = await Promise.all([readSessionState(dir), LocalProcessManager.readRecord(dir), readLockOwner(path.join(dir, 'session.lock'))]);
  const procs = new Map((record?.apps ?? []).map((p) => [p.name, p]));
  const rows: StatusRow[] = [];
  const walk = async (seg: SegmentConfig, prefix: string, depth: number) => {
    const segPath = prefix;
    if (depth > 0) rows.push({ path: segPath, kind: 'segment', depth, state: '', included: state?.nodes[segPath]?.included ?? true });
    for (const c of seg.children) {
      const p = segPath ? `${segPath}/${c.name}` : c.name;
      if (c.kind === 'segment') {
        await walk(c, p, depth + 1);
        continue;
      }
      const rec = state?.nodes[p];
      const proc = procs.get(c.name);
      const alive = proc ? isSameProcess(proc.pid, proc.processStart) : false;
      const row: StatusRow = { path: p, kind: 'app', depth: depth + 1, state: rec?.state ?? 'none', included: rec?.included ?? true, error: rec?.error, pid: proc?.pid, port: proc?.port ?? (c.port || undefined), alive };
      if (alive && proc) row.answering = await tcpPing(proc.host, proc.port, 500);
      if (!alive && row.state !== 'none' && row.state !== 'error') row.error = 'process not running';
      rows.push(row);
    }
  };
  await walk(config.root, '', 0);
  // A segment shows the common state of its included applications.
  for (const row of rows.filter((r) => r.kind === 'segment')) {
    const states = new Set(rows.filter((r) => r.kind === 'app' && r.included && r.path.startsWith(`${row.path}/`)).map((r) => r.state));
    row.state = states.size === 0 ? 'excluded' : states.has('error') ? 'error' : states.size === 1 ? [...states][0] : 'mixed';
  }
  return {
    session: config.name,
    live: rows.some((r) => r.alive),
    controller: owner ? { pid: owner.pid, alive: isOwnerAlive(owner) } : undefined,
    run: state?.run,
    rows,
  };
}

export function formatStatus(s: SessionStatus): string {
  const lines: string[] = [];
  const ctl = s.controller?.alive ? `controlled by process ${s.controller.pid}` : 'no controller attached';
  lines.push(`session ${s.session}: ${s.live ? 'live' : 'not running'}, ${ctl}${s.run ? `, run ${s.run.number} (${s.run.type})` : ''}`);
  for (const r of s.rows) {
    const name = `${'  '.repeat(r.depth)}${r.path.split('/').pop()}`.padEnd(28);
    const state = (r.included ? r.state : `${r.state} (excluded)`).padEnd(12);
    const proc = r.kind === 'app' && r.pid ? ` pid ${r.pid} ${r.alive ? (r.answering ? 'up' : 'not answering') : 'dead'}` : '';
    const port = r.kind === 'app' && r.port ? ` :${r.port}` : '';
    lines.push(`${name} ${state}${proc}${port}${r.error ? `  ${r.error}` : ''}`);
  }
  return lines.join('\n');
}
