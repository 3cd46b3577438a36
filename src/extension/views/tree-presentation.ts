// How a control-tree node looks in the Run Control view. Pure: no 'vscode' import, so the
// whole mapping (label, description, icon, colour, context value, tooltip) is unit-tested in
// plain Node; run-control-tree.ts only wraps the result in vscode.TreeItem.
import type { ControlNode } from '../../core/control/tree';
import { EMPTY, MIXED } from '../../core/control/aggregate-states';

/** What the view needs to know about one node, gathered from the session. */
export interface NodeView {
  kind: 'root' | 'segment' | 'app';
  name: string;
  path: string;
  state: string;
  /** Human-readable state for segments ("mixed (2 running, 1 ready)"). */
  stateText?: string;
  transition?: { name: string; startedAt: number; done?: number; total?: number };
  error?: { message: string; since: number; from: string };
  /** Included here and in every ancestor. */
  included: boolean;
  /** Excluded by its own flag (not merely through an excluded parent). */
  excludedHere: boolean;
  /** Applications under a segment (included ones). */
  appCount?: number;
  host?: string;
  port?: number;
  pid?: number;
  /** On Kubernetes: the pod, its node and kubectl's status words. */
  pod?: { namespace: string; name: string; node?: string; status?: string };
  alive?: boolean;
  exitReason?: string;
  lastCommand?: string;
  lastOkCommand?: string;
  logFile?: string;
  /** Nothing may change the tree now (a transition is in progress in the session). */
  sessionBusy: boolean;
  fsm: { initial: string; errorState: string };
}

export interface ItemPresentation {
  /** Stable id for the tree item (the node path; the root is '/'). */
  id: string;
  label: string;
  description: string;
  /** A codicon id, e.g. 'loading~spin'. */
  icon: string;
  /** A theme colour id, e.g. 'charts.green'; undefined = default foreground. */
  color?: string;
  contextValue: string;
  /** Markdown source of the tooltip (already escaped). */
  tooltip: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
}

interface Look {
  icon: string;
  color?: string;
}

/** Looks of the default (DUNE partition) FSM states; custom states fall back to generic ones. */
const STATE_LOOKS: Record<string, Look> = {
  none: { icon: 'circle-outline', color: 'disabledForeground' },
  initial: { icon: 'circle-large-outline', color: 'charts.blue' },
  configured: { icon: 'pass', color: 'charts.blue' },
  ready: { icon: 'pass-filled', color: 'charts.yellow' },
  running: { icon: 'play-circle', color: 'charts.green' },
  dataflow_drained: { icon: 'debug-pause', color: 'charts.orange' },
  trigger_sources_stopped: { icon: 'debug-pause', color: 'charts.orange' },
};

export const SPINNER = 'loading~spin';

/** Icon and colour of a state, whatever the FSM. */
export function stateLook(state: string, fsm: { initial: string; errorState: string }): Look {
  if (state === fsm.errorState) return { icon: 'error', color: 'errorForeground' };
  if (state === MIXED) return { icon: 'warning', color: 'list.warningForeground' };
  if (state === EMPTY) return { icon: 'eye-closed', color: 'disabledForeground' };
  if (state === fsm.initial) return { icon: 'circle-outline', color: 'disabledForeground' };
  return STATE_LOOKS[state] ?? { icon: 'circle-filled', color: 'charts.purple' };
}

export function presentNode(v: NodeView): ItemPresentation {
  const inProgress = v.transition !== undefined;
  const inError = v.state === v.fsm.errorState;
  const dead = v.kind === 'app' && v.alive === false && v.state !== v.fsm.initial && !inProgress;

  let look: Look;
  if (!v.included) look = { icon: 'eye-closed', color: 'disabledForeground' };
  else if (inProgress) look = { icon: SPINNER, color: 'charts.yellow' };
  else if (dead && !inError) look = { icon: 'debug-disconnect', color: 'errorForeground' };
  else look = stateLook(v.state, v.fsm);

  const parts: string[] = [];
  if (!v.included) parts.push(v.excludedHere ? 'excluded' : 'excluded (parent)');
  if (inProgress) parts.push(`${v.transition!.name}…${progressSuffix(v.transition!)}`);
  else parts.push(v.kind === 'app' ? v.state : (v.stateText ?? v.state));
  if (v.kind === 'app') {
    if (v.pod) parts.push([v.pod.status, v.pod.node && `on ${v.pod.node}`].filter(Boolean).join(' '));
    if (v.host !== undefined && v.port) parts.push(`${v.host}:${v.port}`);
    if (v.pid !== undefined && v.alive) parts.push(`pid ${v.pid}`);
    else if (dead) parts.push('process dead');
  } else if (v.appCount !== undefined) {
    parts.push(`${v.appCount} app${v.appCount === 1 ? '' : 's'}`);
  }
  if (inError && v.error) parts.push(oneLine(v.error.message, 60));

  return {
    id: v.kind === 'root' ? '/' : v.path,
    label: v.name,
    description: parts.join(' · '),
    icon: look.icon,
    color: look.color,
    contextValue: contextValue(v, { inProgress, inError, dead }),
    tooltip: tooltip(v, { inProgress, inError, dead }),
    collapsible: v.kind === 'app' ? 'none' : v.kind === 'root' ? 'expanded' : 'collapsed',
  };
}

/** Tokens matched by menus with `viewItem =~ /\bcan-exclude\b/`. The first one names the kind. */
export function contextValue(v: NodeView, f: { inProgress: boolean; inError: boolean; dead: boolean }): string {
  const tokens = [`baton.${v.kind}`];
  tokens.push(v.included ? 'included' : 'excluded');
  if (v.kind !== 'root' && !v.sessionBusy) {
    if (v.excludedHere) tokens.push('can-include');
    else tokens.push('can-exclude');
  }
  if (f.inProgress) tokens.push('in-progress');
  if (f.inError) tokens.push('in-error');
  if (f.dead) tokens.push('dead');
  if (v.kind === 'app' && v.logFile) tokens.push('has-log');
  if (v.kind === 'app' && v.alive) tokens.push('alive');
  return tokens.join(';');
}

function tooltip(v: NodeView, f: { inProgress: boolean; inError: boolean; dead: boolean }): string {
  const lines: string[] = [];
  const state = v.kind === 'app' ? v.state : (v.stateText ?? v.state);
  lines.push(`**${md(v.name)}** — \`${code(state)}\``);
  if (v.kind !== 'root') lines.push(`path: \`${code(v.path)}\``);
  if (!v.included) lines.push(v.excludedHere ? '*excluded from transitions*' : '*excluded (a parent segment is excluded)*');
  if (f.inProgress) {
    const t = v.transition!;
    lines.push(`$(${SPINNER}) ${md(t.name)} in progress since ${clock(t.startedAt)}${progressSuffix(t)}`);
  }
  if (v.kind === 'app') {
    const where = [v.host !== undefined ? `host ${md(v.host)}` : undefined, v.port ? `port ${v.port}` : undefined].filter(Boolean).join(', ');
    if (where) lines.push(where);
    if (v.pod) lines.push(`pod ${md(v.pod.namespace)}/${md(v.pod.name)}${v.pod.node ? ` on node ${md(v.pod.node)}` : ' (not scheduled)'}${v.pod.status ? `: ${md(v.pod.status)}` : ''}`);
    if (v.pid !== undefined) lines.push(`pid ${v.pid} (${v.alive ? 'alive' : 'not running'})`);
    if (f.dead && v.exitReason) lines.push(`process: ${md(v.exitReason)}`);
    if (v.lastCommand) lines.push(`last command: \`${code(v.lastCommand)}\`${v.lastOkCommand && v.lastOkCommand !== v.lastCommand ? ` (last ok: \`${code(v.lastOkCommand)}\`)` : ''}`);
    if (v.logFile) lines.push(`log: \`${code(v.logFile)}\``);
  } else if (v.appCount !== undefined) {
    lines.push(`${v.appCount} included application${v.appCount === 1 ? '' : 's'}`);
  }
  if (f.inError && v.error) {
    const from = v.error.from && v.error.from !== v.path ? ` (from \`${code(v.error.from)}\`)` : '';
    lines.push(`$(error) **Error**${from} since ${clock(v.error.since)}: ${md(v.error.message)}`);
  }
  return lines.join('\n\n');
}

function progressSuffix(t: { done?: number; total?: number }): string {
  return t.total !== undefined && t.total > 1 ? ` ${t.done ?? 0}/${t.total}` : '';
}

function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Escapes Markdown so names and error messages render literally. */
export function md(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~$]/g, (c) => `\\${c}`);
}

function code(s: string): string {
  return s.replace(/`/g, "'");
}

/** Minimal view of the session needed to describe its nodes. */
export interface SessionLike {
  busy: string | undefined;
  fsm: { initial: string; errorState: string };
  describeState(node: ControlNode): string;
  tree: { appsUnder(node: ControlNode, onlyIncluded?: boolean): unknown[] };
  processManager: {
    info(name: string): { pid?: number; alive: boolean; logFile?: string; reason?: string; host: string; port: number; pod?: { namespace: string; name: string; node?: string; status?: string } } | undefined;
  };
}

/** Gathers a NodeView from a live node of the session. */
export function nodeView(node: ControlNode, session: SessionLike): NodeView {
  const base: NodeView = {
    kind: node.kind,
    name: node.name,
    path: node.path,
    state: node.state,
    transition: node.transition,
    error: node.error,
    included: node.included,
    excludedHere: !node.includedHere,
    sessionBusy: session.busy !== undefined,
    fsm: { initial: session.fsm.initial, errorState: session.fsm.errorState },
  };
  if (node.kind !== 'app') {
    return { ...base, stateText: session.describeState(node), appCount: session.tree.appsUnder(node, true).length };
  }
  const info = session.processManager.info(node.name) ?? node.process;
  return {
    ...base,
    host: info?.host ?? node.endpoint.host,
    port: info?.port || node.endpoint.port,
    pid: info?.pid,
    pod: info?.pod && { namespace: info.pod.namespace, name: info.pod.name, node: info.pod.node, status: info.pod.status },
    alive: info?.alive,
    exitReason: info && !info.alive ? info.reason : undefined,
    lastCommand: node.lastCommand,
    lastOkCommand: node.lastOkCommand,
    logFile: info?.logFile,
  };
}
