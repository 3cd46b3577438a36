// Pure pieces of the VS Code surface that depend only on the session's state: command ids and
// titles of FSM steps, context keys for `when` clauses, status-bar text, progress messages.
// No 'vscode' import, so they are unit-tested in plain Node and checked against package.json.

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

/** What a step needs from the operator before it runs. */
export function stepArguments(step: string, sequenceSteps: readonly string[] = []): { runType: boolean; runNumber: boolean; triggerRate: boolean } {
  const all = [step, ...sequenceSteps];
  const starts = all.includes('start');
  return { runType: starts, runNumber: starts, triggerRate: all.includes('change_rate') };
}

/** Validates a run number typed by the operator; returns a message, or undefined when fine. */
export function checkRunNumberInput(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  return /^\d+$/.test(text.trim()) && Number(text) >= 1 && Number.isSafeInteger(Number(text)) ? undefined : 'a positive integer';
}

export function checkRateInput(text: string): string | undefined {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) && n >= 0 ? undefined : 'a non-negative number (Hz)';
}
