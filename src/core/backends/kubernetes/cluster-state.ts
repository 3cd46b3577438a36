import type { RunConfig } from '../../config/types';
import type { RecordedNode, SessionStateRecord } from '../../control/session-state';

/**
 * The FSM side of a session as kept in a namespace annotation: compact, because an
 * annotation is bounded (256 KiB for all of them) and a session may have 1,000
 * applications. Application paths are grouped by state; only what differs from the
 * common case (errors, exclusions, last good command) is listed per node.
 */
interface ClusterState {
  v: 1;
  session: string;
  updatedAt: string;
  run?: SessionStateRecord['run'];
  /** state -> node paths. */
  states: Record<string, string[]>;
  /** Node paths excluded from transitions. */
  excluded?: string[];
  errors?: Record<string, { error?: string; before?: string }>;
  lastOk?: Record<string, string>;
}

export function encodeClusterState(rec: SessionStateRecord): string {
  const out: ClusterState = { v: 1, session: rec.session, updatedAt: rec.updatedAt, states: {} };
  if (rec.run) out.run = rec.run;
  for (const [p, n] of Object.entries(rec.nodes)) {
    (out.states[n.state] ??= []).push(p);
    if (!n.included) (out.excluded ??= []).push(p);
    if (n.error !== undefined || n.stateBeforeError !== undefined) (out.errors ??= {})[p] = { error: n.error, before: n.stateBeforeError };
    if (n.lastOkCommand) (out.lastOk ??= {})[p] = n.lastOkCommand;
  }
  return JSON.stringify(out);
}

/** The record read back, or undefined when absent, unreadable or of another session. */
export function decodeClusterState(json: string | undefined, config: RunConfig): SessionStateRecord | undefined {
  if (!json) return undefined;
  let data: ClusterState;
  try {
    data = JSON.parse(json) as ClusterState;
  } catch {
    return undefined;
  }
  if (data?.v !== 1 || data.session !== config.name || typeof data.states !== 'object') return undefined;
  const nodes: Record<string, RecordedNode> = {};
  const excluded = new Set(data.excluded ?? []);
  for (const [state, paths] of Object.entries(data.states)) {
    for (const p of Array.isArray(paths) ? paths : []) {
      const node: RecordedNode = { state, included: !excluded.has(p) };
      const err = data.errors?.[p];
      if (err?.error !== undefined) node.error = err.error;
      if (err?.before !== undefined) node.stateBeforeError = err.before;
      if (data.lastOk?.[p]) node.lastOkCommand = data.lastOk[p];
      nodes[p] = node;
    }
  }
  return { version: 1, session: data.session, configFile: config.file, controllerPid: 0, updatedAt: data.updatedAt, run: data.run, nodes };
}
