/** Faults and delays configured on the command line (apply to every matching command). */
export interface SimulationOptions {
  /** Delay for every command, ms. */
  delayMs?: number;
  /** Per-command delay, ms (overrides delayMs for that command). */
  delays?: Record<string, number>;
  /** Command id -> error message: the command fails and the application stays in error. */
  failOn?: Record<string, string>;
  /** Command ids on which the application crashes. */
  crashOn?: string[];
  /** Command ids on which the application never replies (and stays busy). */
  hangOn?: string[];
}

/** `data.simulate` of one command (or of one of its `data.modules[].data`). */
export interface SimulateSpec {
  delay_ms?: number;
  fail?: string | true;
  crash?: true;
  hang?: true;
}

/** What to do for one command, after merging flags and the command's data. */
export interface EffectiveSimulation {
  delayMs: number;
  fail?: string;
  crash: boolean;
  hang: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function specsIn(data: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (!isRecord(data)) return out;
  if (isRecord(data.simulate)) out.push(data.simulate);
  if (Array.isArray(data.modules)) {
    for (const m of data.modules) {
      if (isRecord(m) && isRecord(m.data) && isRecord(m.data.simulate)) out.push(m.data.simulate);
    }
  }
  return out;
}

const own = <T>(r: Record<string, T> | undefined, k: string): T | undefined =>
  r && Object.prototype.hasOwnProperty.call(r, k) ? r[k] : undefined;

/**
 * Flags give the defaults; a `simulate` block in the command's data overrides them for
 * that command (the largest delay_ms wins when several modules carry one).
 */
export function effectiveSimulation(cmdId: string, data: unknown, sim: SimulationOptions): EffectiveSimulation {
  const eff: EffectiveSimulation = {
    delayMs: own(sim.delays, cmdId) ?? sim.delayMs ?? 0,
    fail: own(sim.failOn, cmdId),
    crash: sim.crashOn?.includes(cmdId) ?? false,
    hang: sim.hangOn?.includes(cmdId) ?? false,
  };
  let dataDelay: number | undefined;
  let dataFail: string | undefined;
  for (const s of specsIn(data)) {
    if (typeof s.delay_ms === 'number' && Number.isFinite(s.delay_ms) && s.delay_ms >= 0) {
      dataDelay = Math.max(dataDelay ?? 0, s.delay_ms);
    }
    if (s.fail === true) dataFail ??= `simulated failure of "${cmdId}"`;
    else if (typeof s.fail === 'string' && s.fail !== '') dataFail ??= s.fail;
    if (s.crash === true) eff.crash = true;
    if (s.hang === true) eff.hang = true;
  }
  if (dataDelay !== undefined) eff.delayMs = dataDelay;
  if (dataFail !== undefined) eff.fail = dataFail;
  return eff;
}
