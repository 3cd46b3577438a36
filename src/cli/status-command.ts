import { loadRunConfig } from '../core/config/load';
import { LocalProcessManager } from '../core/backends/local/local-process-manager';
import { sessionDirFor } from '../core/control/open-session';
import { readSessionState } from '../core/control/session-state';
import { ControlTree, type AppNode } from '../core/control/tree';
import { EventStream } from '../core/control/events';
import { DEFAULT_FSM } from '../core/fsm/default-fsm';
import { Fsm } from '../core/fsm/fsm';
import { readLockOwner, isOwnerAlive, type LockOwner } from '../core/util/lock-file';
import { isSameProcess } from '../core/util/process-info';
import { tcpPing } from '../core/protocol/ping';
import * as path from 'node:path';
import { loadKubeAccess, describeKubeError, kubeErrorStatus, KubernetesError } from '../core/backends/kubernetes/kube-access';
import { decodeClusterState } from '../core/backends/kubernetes/cluster-state';
import { ANNOTATION_PORT, ANNOTATION_STATE, LABEL_APP, sessionSelector } from '../core/backends/kubernetes/pod-spec';
import { podIsFinished, podProblem, podStatusText } from '../core/backends/kubernetes/pod-status';
import type { RunConfig } from '../core/config/types';
import type { V1Pod } from '../core/backends/kubernetes/client';
import type { SessionStateRecord } from '../core/control/session-state';

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
  /** Kubernetes backend: the pod's status words (as kubectl shows them) and node. */
  pod?: { status: string; node?: string; address?: string };
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
export async function readStatus(configFile: string, batonDir = '.baton', kubernetes: { kubeconfig?: string; context?: string } = {}): Promise<SessionStatus> {
  const config = loadRunConfig(configFile);
  if (config.backend === 'kubernetes') return readClusterStatus(config, batonDir, kubernetes);
  const dir = sessionDirFor(path.resolve(batonDir), config.name);
  const [state, record, owner] = await Promise.all([readSessionState(dir), LocalProcessManager.readRecord(dir), readLockOwner(path.join(dir, 'session.lock'))]);
  const procs = new Map((record?.apps ?? []).map((p) => [p.name, p]));
  const rows = await recordedRows(config, state, async (node, row, fsm) => {
    const proc = procs.get(node.name);
    const alive = proc ? isSameProcess(proc.pid, proc.processStart) : false;
    Object.assign(row, { pid: proc?.pid, port: proc?.port ?? (node.config.port || undefined), alive });
    if (alive && proc) row.answering = await tcpPing(proc.host, proc.port, 500);
    if (!alive && row.state !== fsm.initial && row.state !== fsm.errorState) row.error = 'process not running';
  });
  return statusOf(config, state, owner, rows);
}

/**
 * The rows of the same tree and aggregation as a live session, fed from the records
 * instead; `completeApp` adds what the backend knows of each application.
 */
async function recordedRows(config: RunConfig, state: SessionStateRecord | undefined, completeApp: (node: AppNode, row: StatusRow, fsm: Fsm) => Promise<void>): Promise<StatusRow[]> {
  const fsm = Fsm.compile(config.fsm ?? DEFAULT_FSM);
  const tree = new ControlTree(config.root, fsm, new EventStream());
  for (const node of tree.walk()) {
    const rec = state?.nodes[node.path];
    if (!rec || node.kind === 'root') continue;
    if (!rec.included) node.setIncluded(false);
    if (node.kind === 'app' && fsm.isState(rec.state)) node.force(rec.state, rec.error);
  }
  return Promise.all(
    [...tree.walk()].filter((n) => n.kind !== 'root').map(async (node): Promise<StatusRow> => {
      const depth = node.path.split('/').length;
      if (node.kind !== 'app') return { path: node.path, kind: 'segment', depth, state: node.state, included: node.includedHere };
      const row: StatusRow = { path: node.path, kind: 'app', depth, state: node.state, included: node.includedHere, error: node.error?.message, alive: false };
      await completeApp(node, row, fsm);
      return row;
    }),
  );
}

function statusOf(config: RunConfig, state: SessionStateRecord | undefined, owner: LockOwner | undefined, rows: StatusRow[]): SessionStatus {
  return { session: config.name, live: rows.some((r) => r.alive), controller: owner ? { pid: owner.pid, alive: isOwnerAlive(owner) } : undefined, run: state?.run, rows };
}

/**
 * A kubernetes session as the cluster shows it: pods by the session's labels, the FSM
 * state from the namespace annotation (else this machine's record), each pod pinged.
 */
async function readClusterStatus(config: RunConfig, batonDir: string, k: { kubeconfig?: string; context?: string }): Promise<SessionStatus> {
  const access = loadKubeAccess({ kubeconfig: k.kubeconfig, context: config.kubernetes.context ?? k.context });
  const namespace = config.kubernetes.namespace;
  const core = access.core();
  let annotations: Record<string, string> = {};
  let pods: V1Pod[] = [];
  try {
    const ns = await core.readNamespace({ name: namespace });
    annotations = ns.metadata?.annotations ?? {};
    pods = (await core.listNamespacedPod({ namespace, labelSelector: sessionSelector(config.name) })).items;
  } catch (err) {
    if (kubeErrorStatus(err) !== 404) throw new KubernetesError(describeKubeError(err, `read session ${config.name} in namespace ${namespace}`, access));
  }
  const dir = sessionDirFor(path.resolve(batonDir), config.name);
  const state: SessionStateRecord | undefined = decodeClusterState(annotations[ANNOTATION_STATE], config) ?? (await readSessionState(dir));
  const owner = await readLockOwner(path.join(dir, 'session.lock'));
  const byApp = new Map(pods.map((p) => [p.metadata?.labels?.[LABEL_APP] ?? p.metadata?.name ?? '', p]));
  const rows = await recordedRows(config, state, async (node, row, fsm) => {
    const pod = byApp.get(node.name);
    const alive = !!pod && !podIsFinished(pod) && !pod.metadata?.deletionTimestamp;
    const port = Number(pod?.metadata?.annotations?.[ANNOTATION_PORT]) || node.config.port || undefined;
    const address = pod?.status?.podIP || undefined;
    Object.assign(row, { port, alive });
    if (pod) row.pod = { status: podStatusText(pod), node: pod.spec?.nodeName, address };
    if (alive && address && port) row.answering = await tcpPing(address, port, 500);
    if (pod && !alive && !row.error) row.error = podProblem(pod);
    if (!pod && row.state !== fsm.initial && row.state !== fsm.errorState) row.error = 'no pod on the cluster';
  });
  return statusOf(config, state, owner, rows);
}

export function formatStatus(s: SessionStatus): string {
  const lines: string[] = [];
  const ctl = s.controller?.alive ? `controlled by process ${s.controller.pid}` : 'no controller attached';
  lines.push(`session ${s.session}: ${s.live ? 'live' : 'not running'}, ${ctl}${s.run ? `, run ${s.run.number} (${s.run.type})` : ''}`);
  for (const r of s.rows) {
    const name = `${'  '.repeat(r.depth)}${r.path.split('/').pop()}`.padEnd(28);
    const state = (r.included ? r.state : `${r.state} (excluded)`).padEnd(12);
    const health = r.alive ? (r.answering ? 'up' : 'not answering') : 'dead';
    const proc = r.kind !== 'app' ? '' : r.pod ? ` pod ${r.pod.status}${r.pod.node ? ` on ${r.pod.node}` : ''} ${health}` : r.pid ? ` pid ${r.pid} ${health}` : '';
    const port = r.kind === 'app' && r.port ? ` :${r.port}` : '';
    lines.push(`${name} ${state}${proc}${port}${r.error ? `  ${r.error}` : ''}`);
  }
  return lines.join('\n');
}
