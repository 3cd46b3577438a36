// Pure pieces of the VS Code surface that depend only on the session's state: command ids and
// titles of FSM steps, context keys for `when` clauses, status-bar text, progress messages.
// No 'vscode' import, so they are unit-tested in plain Node and checked against package.json.
import type { Fsm } from '../core/fsm/fsm';

/** Transitions and sequences of the default FSM that get a palette command of their own. */
export const STEP_COMMANDS: ReadonlyArray<{ step: string; title: string; icon: string }> = [
  { step: 'boot', title: 'Boot', icon: 'rocket' },
  { step: 'conf', title: 'Configure', icon: 'settings-gear' },
  { step: 'start', title: 'Start', icon: 'play' },
  { step: 'enable_triggers', title: 'Enable Triggers', icon: 'zap' },
  { step: 'disable_triggers', title: 'Disable Triggers', icon: 'circle-slash' },
  { step: 'drain_dataflow', title: 'Drain Dataflow', icon: 'arrow-down' },
  { step: 'stop_trigger_sources', title: 'Stop Trigger Sources', icon: 'debug-pause' },
  { step: 'stop', title: 'Stop', icon: 'primitive-square' },
  { step: 'scrap', title: 'Scrap', icon: 'trash' },
  { step: 'terminate', title: 'Terminate', icon: 'close-all' },
  { step: 'change_rate', title: 'Change Trigger Rate', icon: 'dashboard' },
  { step: 'start_run', title: 'Start Run', icon: 'run-all' },
  { step: 'stop_run', title: 'Stop Run', icon: 'debug-stop' },
  { step: 'shutdown', title: 'Shutdown', icon: 'debug-disconnect' },
];

export const stepCommandId = (step: string): string => `baton.step.${step}`;
export const canKey = (step: string): string => `baton.can.${step}`;

/** What the context keys and the status bar are computed from. */
export interface SessionSnapshot {
  session?: string;
  state?: string;
  /** `session.allowed()`: what the root may take now (only 'abort' while busy). */
  allowed: readonly string[];
  busy?: string;
  /** Does the session use its own FSM (not the DUNE default)? */
  customFsm: boolean;
  /** The FSM's error state is the root's state, or an application is in error. */
  inError: boolean;
  hasReport: boolean;
  run?: { number: number; type: string; startedAt: number };
  progress?: { name: string; done: number; total: number };
}

/** Every context key the extension sets, with its value for this snapshot. */
export function contextKeys(s: SessionSnapshot): Record<string, boolean | string> {
  const has = s.session !== undefined;
  const keys: Record<string, boolean | string> = {
    'baton.hasSession': has,
    'baton.busy': has && s.busy !== undefined,
    'baton.state': s.state ?? '',
    'baton.customFsm': has && s.customFsm,
    'baton.canRecover': has && s.busy === undefined && s.inError,
    'baton.hasReport': s.hasReport,
    'baton.runActive': has && s.run !== undefined,
  };
  for (const { step } of STEP_COMMANDS) keys[canKey(step)] = has && s.busy === undefined && s.allowed.includes(step);
  return keys;
}

/** The keys whose value differs between two computations (what needs a setContext call). */
export function changedKeys(before: Record<string, boolean | string> | undefined, after: Record<string, boolean | string>): string[] {
  return Object.keys(after).filter((k) => !before || before[k] !== after[k]);
}

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

export function statusBarText(s: SessionSnapshot, now = Date.now()): string {
  if (s.session === undefined) return '$(circle-outline) Baton';
  const icon = s.busy ? '$(loading~spin)' : s.inError ? '$(error)' : s.run ? '$(record)' : '$(pulse)';
  const state = s.busy ? (s.progress ? progressMessage(s.progress) : `${s.busy}…`) : (s.state ?? '');
  const run = s.run ? ` · run ${s.run.number} ${formatDuration(now - s.run.startedAt)}` : '';
  return `${icon} ${s.session}: ${state}${run}`;
}

export function statusBarTooltip(s: SessionSnapshot): string {
  if (s.session === undefined) return 'Baton: no session. Click to select a run configuration.';
  const lines = [`Baton session ${s.session}`, `state: ${s.state ?? ''}`];
  if (s.busy) lines.push(`in progress: ${s.busy}`);
  if (s.run) lines.push(`run ${s.run.number} (${s.run.type}) since ${new Date(s.run.startedAt).toLocaleTimeString()}`);
  lines.push('Click for the transitions allowed now.');
  return lines.join('\n');
}

/** "conf: 37/40 applications" */
export function progressMessage(p: { name: string; done: number; total: number }): string {
  return `${p.name}: ${p.done}/${p.total} application${p.total === 1 ? '' : 's'}`;
}

/** One entry of the "Run a Transition…" quick pick. */
export interface TransitionChoice {
  step: string;
  /** A codicon id. */
  icon: string;
  description: string;
}

/** What the quick-pick entries are computed from: the session (or a stand-in) and a node. */
export interface ChoiceSource {
  fsm: Pick<Fsm, 'isSequence' | 'sequence' | 'destination' | 'errorState'>;
  /** Transitions and sequences the node may take now (`Session.allowed`). */
  allowed(at: string): string[];
  node(at: string): { state: string };
}

/**
 * The transitions and sequences the node may take now, from whatever FSM the session uses
 * (a custom one included), then abort, and recover when the node is in error. Nothing
 * but abort while a step is in progress.
 */
export function transitionChoices(s: ChoiceSource, at: string, busy: boolean): TransitionChoice[] {
  const state = s.node(at).state;
  const choices: TransitionChoice[] = (busy ? [] : s.allowed(at).filter((step) => step !== 'abort')).map((step) => {
    const seq = s.fsm.isSequence(step) ? s.fsm.sequence(step) : undefined;
    return {
      step,
      icon: STEP_COMMANDS.find((c) => c.step === step)?.icon ?? (seq ? 'run-all' : 'arrow-right'),
      description: seq ? `sequence: ${seq.steps.map((x) => x.transition).join(' → ')}` : `→ ${s.fsm.destination(state, step) || 'same state'}`,
    };
  });
  choices.push({ step: 'abort', icon: 'debug-stop', description: 'kill every application (asks first)' });
  if (!busy && state === s.fsm.errorState) choices.push({ step: 'recover', icon: 'debug-restart', description: 'clear the error' });
  return choices;
}

/** Why nothing may be launched in this workspace, or undefined when launching is fine. */
export function launchRefusal(trusted: boolean): string | undefined {
  return trusted ? undefined : 'This workspace is not trusted (Restricted Mode): Baton validates run configurations but launches nothing. Trust the folder to boot it.';
}
