import type { SessionEvent } from './events';
import type { NodeOutcome, Outcome } from './report';

/**
 * The data behind the dashboard's timeline: for each of the last few transitions, one bar
 * per application from the moment its command was sent to the moment its reply (or
 * failure) arrived. Built from the session's event stream only, in O(1) per event, because
 * a transition over a thousand applications emits thousands of events; the execution report
 * that closes a transition then corrects every bar (it knows timeouts, skips and aborts).
 */

export type BarOutcome = Outcome | 'running';

export interface TimelineBar {
  path: string;
  name: string;
  /** Epoch ms the command was sent; undefined for an application never attempted. */
  start?: number;
  /** Epoch ms the reply arrived; undefined while running. */
  end?: number;
  outcome: BarOutcome;
  reason?: string;
}

export interface TimelineTransition {
  /** Increasing per model: identifies a transition across deltas. */
  id: number;
  name: string;
  /** Node the transition ran on ('' = the whole session). */
  path: string;
  startedAt: number;
  finishedAt?: number;
  /** Undefined while in progress. */
  ok?: boolean;
  /** Path of the application that took longest (or, while running, has been running longest). */
  slowest?: string;
  bars: TimelineBar[];
}

/** What changed since the last `drain`, for a front end that already has the rest. */
export interface TimelineDelta {
  /** Changed transitions without their bars (the header: state, slowest, times). */
  transitions: Array<Omit<TimelineTransition, 'bars'>>;
  /** Changed bars, by transition id. */
  bars: Array<{ id: number; bar: TimelineBar }>;
  /** Transitions dropped because newer ones pushed them out. */
  removed: number[];
}

export interface TimelineOptions {
  /** How many transitions to keep (default 5). */
  keep?: number;
  /** The FSM's error state: an application ending its transition there failed. */
  errorState: string;
}

interface Entry {
  t: TimelineTransition;
  byPath: Map<string, TimelineBar>;
  open: boolean;
}

export class TimelineModel {
  private readonly keep: number;
  private readonly errorState: string;
  private entries: Entry[] = [];
  private nextId = 1;
  /** Bars in flight: where the next node event of that application lands. */
  private readonly running = new Map<string, { entry: Entry; bar: TimelineBar }>();
  private dirtyHeaders = new Set<Entry>();
  private dirtyBars = new Map<TimelineBar, Entry>();
  private removed: number[] = [];

  constructor(opts: TimelineOptions) {
    this.keep = Math.max(1, opts.keep ?? 5);
    this.errorState = opts.errorState;
  }

  /** Feeds one session event; cheap for every event type. */
  handle(e: SessionEvent): void {
    if (e.type === 'transition') {
      if (e.phase === 'started') this.begin(e.name, e.path, e.time);
      else if (e.phase === 'finished') this.finish(e.name, e.time, e.report);
      return;
    }
    if (e.type !== 'node' || e.kind !== 'app') return;
    const inFlight = this.running.get(e.path);
    if (e.transition !== undefined) {
      // A new command for this application: its bar in the open transition of that name.
      const entry = this.openEntry(e.transition);
      if (!entry) return;
      if (inFlight && inFlight.entry === entry && inFlight.bar.end === undefined) return;
      const bar: TimelineBar = { path: e.path, name: lastSegment(e.path), start: e.time, outcome: 'running' };
      const old = entry.byPath.get(e.path);
      if (old) Object.assign(old, bar);
      else {
        entry.byPath.set(e.path, bar);
        entry.t.bars.push(bar);
      }
      const target = old ?? bar;
      this.running.set(e.path, { entry, bar: target });
      this.markBar(entry, target);
      return;
    }
    if (!inFlight) return;
    this.running.delete(e.path);
    inFlight.bar.end = e.time;
    inFlight.bar.outcome = e.state === this.errorState ? 'failed' : 'ok';
    if (e.error) inFlight.bar.reason = e.error;
    this.markBar(inFlight.entry, inFlight.bar);
  }

  /** The kept transitions, oldest first. */
  transitions(): TimelineTransition[] {
    for (const e of this.entries) e.t.slowest = slowestOf(e.t.bars, Date.now());
    return this.entries.map((e) => e.t);
  }

  /** Changes since the previous call (undefined when nothing changed). */
  drain(now = Date.now()): TimelineDelta | undefined {
    if (this.dirtyHeaders.size === 0 && this.dirtyBars.size === 0 && this.removed.length === 0) return undefined;
    for (const entry of this.dirtyBars.values()) this.dirtyHeaders.add(entry);
    const delta: TimelineDelta = {
      transitions: [...this.dirtyHeaders].filter((e) => this.entries.includes(e)).map((e) => {
        e.t.slowest = slowestOf(e.t.bars, now);
        return header(e.t);
      }),
      bars: [...this.dirtyBars].filter(([, e]) => this.entries.includes(e)).map(([bar, e]) => ({ id: e.t.id, bar: { ...bar } })),
      removed: this.removed,
    };
    this.dirtyHeaders = new Set();
    this.dirtyBars = new Map();
    this.removed = [];
    return delta;
  }

  private begin(name: string, path: string, time: number): void {
    const entry: Entry = { t: { id: this.nextId++, name, path, startedAt: time, bars: [] }, byPath: new Map(), open: true };
    this.entries.push(entry);
    this.dirtyHeaders.add(entry);
    while (this.entries.length > this.keep) {
      const gone = this.entries.shift()!;
      this.removed.push(gone.t.id);
      this.dirtyHeaders.delete(gone);
      for (const [path, r] of this.running) if (r.entry === gone) this.running.delete(path);
    }
  }

  private finish(name: string, time: number, report: { ok: boolean; root: NodeOutcome } | undefined): void {
    const entry = this.openEntry(name);
    if (!entry) return;
    entry.open = false;
    entry.t.finishedAt = time;
    entry.t.ok = report?.ok ?? [...entry.byPath.values()].every((b) => b.outcome === 'ok');
    if (report) this.reconcile(entry, report.root);
    // Whatever the report did not mention is over too (e.g. a node event lost to a closed session).
    for (const bar of entry.t.bars) {
      if (bar.outcome !== 'running') continue;
      bar.end = time;
      bar.outcome = 'aborted';
      this.markBar(entry, bar);
    }
    for (const [path, r] of this.running) if (r.entry === entry) this.running.delete(path);
    this.dirtyHeaders.add(entry);
  }

  /** The report is the truth: it knows timeouts, skipped groups and aborted commands. */
  private reconcile(entry: Entry, node: NodeOutcome): void {
    if (node.children) {
      for (const c of node.children) this.reconcile(entry, c);
      return;
    }
    if (node.kind !== 'app') return;
    // An excluded application (skipped without a reason) took no part: no bar.
    if (node.outcome === 'skipped' && !node.reason && !entry.byPath.has(node.path)) return;
    let bar = entry.byPath.get(node.path);
    if (!bar) {
      bar = { path: node.path, name: node.name, outcome: node.outcome };
      entry.byPath.set(node.path, bar);
      entry.t.bars.push(bar);
    }
    bar.name = node.name;
    bar.outcome = node.outcome;
    if (node.startedAt !== undefined) bar.start = node.startedAt;
    if (node.finishedAt !== undefined) bar.end = node.finishedAt;
    else if (node.startedAt !== undefined && node.durationMs !== undefined) bar.end = node.startedAt + node.durationMs;
    if (node.reason) bar.reason = node.reason;
    this.markBar(entry, bar);
  }

  private openEntry(name: string): Entry | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e.open && e.t.name === name) return e;
    }
    return undefined;
  }

  private markBar(entry: Entry, bar: TimelineBar): void {
    this.dirtyBars.set(bar, entry);
  }
}

/** Duration of a bar in ms (running bars count up to `now`); undefined if never started. */
export function barDuration(bar: TimelineBar, now = Date.now()): number | undefined {
  if (bar.start === undefined) return undefined;
  return Math.max(0, (bar.end ?? now) - bar.start);
}

function slowestOf(bars: TimelineBar[], now: number): string | undefined {
  let best: TimelineBar | undefined;
  let bestMs = -1;
  for (const b of bars) {
    const ms = barDuration(b, now);
    if (ms !== undefined && ms > bestMs) {
      best = b;
      bestMs = ms;
    }
  }
  return best?.path;
}

function header(t: TimelineTransition): Omit<TimelineTransition, 'bars'> {
  const { bars: _bars, ...rest } = t;
  return rest;
}

function lastSegment(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}
