import * as path from 'node:path';
import { DEFAULT_TIMEOUT_MS, type RunConfig } from '../config/types';
import type { AppLaunchSpec, AppProcessInfo, ProcessManager } from '../backends/process-manager';
import { buildEnvironment } from '../backends/local/environment';
import { DEFAULT_FSM } from '../fsm/default-fsm';
import { Fsm } from '../fsm/fsm';
import { CommandError } from '../protocol/errors';
import { ResponseListener } from '../protocol/response-listener';
import { sendCommand } from '../protocol/command';
import { prepareCommand, type PreparedCommand } from '../protocol/restcmd-client';
import { baseModuleData, buildCommand, type RunType, type TransitionArgs } from './command-data';
import { EventStream, type LogLevel } from './events';
import { groupsFor, timeoutFor } from './propagation';
import { collectFailures, combineOutcomes, type ExecutionReport, type NodeOutcome, type Outcome } from './report';
import { RunBook, type ActiveRun } from './run-book';
import { ControlTree, MIXED, type AppNode, type ControlNode, type SegmentNode } from './tree';

export class SessionError extends Error {
  override readonly name = 'SessionError';
}

export interface SessionOptions {
  /** The `.baton` directory holding sessions/ and runs/. */
  batonDir: string;
  processManager: ProcessManager;
  /** Environment that `getenv` reads (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where the response listener binds (default 127.0.0.1, ephemeral port). */
  listenerHost?: string;
  listenerPort?: number;
  /** Address advertised to applications in X-Answer-Host (default: the listener's). */
  answerHost?: string;
  /** Time allowed for an application to acknowledge a command with 202. */
  postTimeoutMs?: number;
  /** Reply timeout for applications whose configuration sets none (default DEFAULT_TIMEOUT_MS). */
  defaultTimeoutMs?: number;
}

export interface SequenceReport {
  sequence: string;
  ok: boolean;
  steps: ExecutionReport[];
  skipped: string[];
  error?: string;
}

interface Operation {
  name: string;
  abort: AbortController;
  /**
   * One controller per application in flight. An AbortSignal's listener list is scanned
   * on every add, so a thousand commands listening to one shared signal costs O(n²);
   * instead the operation's signal has one listener that fans out to these.
   */
  inflight: Set<AbortController>;
  /**
   * Commands serialised once per operation: every application without command data of its
   * own (most of them) gets the same bytes. Keyed by the configured data object (or none),
   * then entry and exit state.
   */
  prepared: Map<Record<string, unknown> | undefined, Map<string, PreparedCommand>>;
  done: Promise<unknown>;
  finished: number;
  total: number;
  path: string;
}

/**
 * The controller of one booted run configuration: the control tree, the backend, one
 * response listener and the run bookkeeping. Every front end drives it through these
 * methods and watches it through `events`.
 */
export class Session {
  readonly events = new EventStream();
  readonly fsm: Fsm;
  readonly tree: ControlTree;
  readonly runs: RunBook;
  private op?: Operation;
  private readonly unsubscribeExit: () => void;
  private closed = false;

  private constructor(
    readonly config: RunConfig,
    private readonly opts: SessionOptions,
    readonly listener: ResponseListener,
  ) {
    this.fsm = Fsm.compile(config.fsm ?? DEFAULT_FSM);
    this.tree = new ControlTree(config.root, this.fsm, this.events);
    this.runs = new RunBook(path.join(opts.batonDir, 'runs'), config, this.events);
    this.unsubscribeExit = opts.processManager.onExit((info) => this.onProcessExit(info));
  }

  static async open(config: RunConfig, opts: SessionOptions): Promise<Session> {
    const listener = await ResponseListener.start({ host: opts.listenerHost ?? '127.0.0.1', port: opts.listenerPort ?? 0, advertiseHost: opts.answerHost });
    return new Session(config, opts, listener);
  }

  get name(): string {
    return this.config.name;
  }

  get state(): string {
    return this.tree.root.state;
  }

  get busy(): string | undefined {
    return this.op?.name;
  }

  get processManager(): ProcessManager {
    return this.opts.processManager;
  }

  /** Transitions and sequences the root may take now (abort is always possible). */
  allowed(pathOrName = ''): string[] {
    if (this.op) return ['abort'];
    const node = this.node(pathOrName);
    const state = node.state;
    const transitions = this.fsm.allowedFrom(state);
    const sequences = this.fsm.sequenceNames.filter((s) => this.fsm.planSequence(s, state).ok);
    return [...transitions, ...sequences.filter((s) => !transitions.includes(s))];
  }

  node(pathOrName: string): ControlNode {
    const node = pathOrName ? this.tree.find(pathOrName) : this.tree.root;
    if (!node) throw new SessionError(`no node "${pathOrName}" in session ${this.name}`);
    return node;
  }

  /** Executes a transition or a sequence by name; `abort` and `recover` are accepted too. */
  async execute(step: string, args: TransitionArgs = {}, at = ''): Promise<ExecutionReport | SequenceReport> {
    if (step === 'abort') return this.abort();
    if (this.fsm.isTransition(step)) return this.transition(step, args, at);
    if (this.fsm.isSequence(step)) return this.sequence(step, args, at);
    throw new SessionError(`"${step}" is neither a transition nor a sequence of this FSM (transitions: ${this.fsm.transitionNames.join(', ')}; sequences: ${this.fsm.sequenceNames.join(', ')})`);
  }

  async transition(name: string, args: TransitionArgs = {}, at = ''): Promise<ExecutionReport> {
    if (name === 'abort') return this.abort();
    this.assertUsable();
    if (!this.fsm.isTransition(name)) throw new SessionError(`unknown transition "${name}" (known: ${this.fsm.transitionNames.join(', ')})`);
    const node = this.node(at);
    this.assertIdle(name);
    const from = node.state;
    if (!this.fsm.canFire(from, name)) throw new SessionError(this.refusal(node, name));

    const abort = new AbortController();
    const started = Date.now();
    const total = this.tree.appsUnder(node, true).length;
    let finishOp!: () => void;
    const op: Operation = { name, abort, inflight: new Set(), prepared: new Map(), done: new Promise<void>((r) => (finishOp = r)), finished: 0, total, path: node.path };
    abort.signal.addEventListener('abort', () => {
      for (const c of op.inflight) c.abort(abort.signal.reason);
    }, { once: true });
    this.op = op;
    this.events.emit({ type: 'transition', phase: 'started', name, path: node.path, done: 0, total });
    try {
      // A segment catching up during a run joins that run; any other start opens a new one.
      const joining = name === 'start' && node !== this.tree.root && this.runs.active;
      const runArgs = joining ? { ...args, runNumber: this.runs.active!.number, runType: this.runs.active!.type } : name === 'start' ? await this.runs.beginRun(args) : args;
      const outcome = await this.runNode(node, name, runArgs, op);
      const finished = Date.now();
      const report: ExecutionReport = {
        transition: name,
        path: node.path,
        ok: outcome.outcome === 'ok' || outcome.outcome === 'skipped',
        startedAt: started,
        finishedAt: finished,
        durationMs: finished - started,
        root: outcome,
        failures: collectFailures(outcome),
      };
      await this.runs.afterTransition(name, report.ok, node === this.tree.root);
      this.events.emit({ type: 'transition', phase: 'finished', name, path: node.path, done: op.finished, total, report });
      return report;
    } finally {
      this.op = undefined;
      finishOp();
    }
  }

  async sequence(name: string, args: TransitionArgs = {}, at = ''): Promise<SequenceReport> {
    this.assertUsable();
    const def = this.fsm.sequence(name);
    if (!def) throw new SessionError(`unknown sequence "${name}" (known: ${this.fsm.sequenceNames.join(', ')})`);
    const node = this.node(at);
    this.assertIdle(name);
    const plan = this.fsm.planSequence(name, node.state);
    if (!plan.ok) throw new SessionError(`${name} cannot run from ${this.describeState(node)}: ${plan.error}`);
    const report: SequenceReport = { sequence: name, ok: true, steps: [], skipped: [] };
    this.events.emit({ type: 'sequence', phase: 'started', name });
    for (const step of def.steps) {
      const state = node.state;
      if (!this.fsm.canFire(state, step.transition)) {
        if (step.optional) {
          report.skipped.push(step.transition);
          this.events.emit({ type: 'sequence', phase: 'skipped', name, step: step.transition });
          continue;
        }
        report.ok = false;
        report.error = this.refusal(node, step.transition);
        break;
      }
      this.events.emit({ type: 'sequence', phase: 'step', name, step: step.transition });
      const r = await this.transition(step.transition, args, at);
      report.steps.push(r);
      if (!r.ok) {
        report.ok = false;
        report.error = `${step.transition} failed: ${r.failures.map((f) => `${f.path} ${f.outcome}${f.reason ? ` (${f.reason})` : ''}`).join('; ')}`;
        break;
      }
    }
    this.events.emit({ type: 'sequence', phase: 'finished', name, ok: report.ok, message: report.error });
    return report;
  }

  /** Brings a node to `target` along the shortest path of transitions. */
  async goto(target: string, args: TransitionArgs = {}, at = ''): Promise<ExecutionReport[]> {
    const node = this.node(at);
    const steps = this.fsm.shortestPath(node.state, target);
    if (!steps) throw new SessionError(`no sequence of transitions leads from ${this.describeState(node)} to ${target}`);
    const reports: ExecutionReport[] = [];
    for (const step of steps) {
      const r = await this.transition(step, args, at);
      reports.push(r);
      if (!r.ok) break;
    }
    return reports;
  }

  /**
   * Kills every application at once and brings every node to the initial state, whatever
   * was going on. Always allowed, including during a transition (which it cancels).
   */
  async abort(reason = 'abort requested'): Promise<ExecutionReport> {
    const started = Date.now();
    const running = this.op;
    running?.abort.abort(new SessionError(reason));
    this.events.emit({ type: 'transition', phase: 'started', name: 'abort', path: '', done: 0, total: this.tree.apps.length });
    const pm = this.opts.processManager;
    const outcomes = await Promise.all(
      this.tree.apps.map(async (app): Promise<NodeOutcome> => {
        const t0 = Date.now();
        this.listener.failPending(app.name, 'aborted');
        let outcome: Outcome = 'ok';
        let why: string | undefined;
        try {
          // Also for applications that already died: a dead pod still has to be deleted.
          if (pm.info(app.name)) await pm.kill(app.name);
        } catch (err) {
          outcome = 'failed';
          why = `could not kill: ${(err as Error).message}`;
        }
        return { path: app.path, name: app.name, kind: 'app', outcome, reason: why, startedAt: t0, finishedAt: Date.now(), durationMs: Date.now() - t0 };
      }),
    );
    if (running) await running.done;
    for (const app of this.tree.apps) app.force(this.fsm.initial);
    await this.runs.afterTransition('abort', true);
    const finished = Date.now();
    const root = this.outcomeTree(this.tree.root, new Map(outcomes.map((o) => [o.path, o])));
    const report: ExecutionReport = { transition: 'abort', path: '', ok: root.outcome !== 'failed', startedAt: started, finishedAt: finished, durationMs: finished - started, root, failures: collectFailures(root) };
    this.events.emit({ type: 'transition', phase: 'finished', name: 'abort', path: '', done: outcomes.length, total: outcomes.length, report });
    return report;
  }

  /**
   * Clears errors once the tree can be consistent again: an application whose process is
   * gone goes back to the initial state, one that merely failed goes back to the state it
   * had before the failing transition. Refused, with the disagreement spelled out, when the
   * included applications would still not share one state.
   */
  recover(): { ok: boolean; state: string; message: string } {
    this.assertUsable();
    this.assertIdle('recover');
    const targets = new Map<AppNode, string>();
    for (const app of this.tree.appsUnder(this.tree.root, true)) {
      const alive = this.opts.processManager.info(app.name)?.alive ?? false;
      let state = app.state;
      if (state === this.fsm.errorState) state = alive ? app.stateBeforeError ?? this.fsm.initial : this.fsm.initial;
      targets.set(app, state);
    }
    const byState = new Map<string, string[]>();
    for (const [app, s] of targets) byState.set(s, [...(byState.get(s) ?? []), app.name]);
    if (byState.size > 1) {
      const detail = [...byState].map(([s, names]) => `${s}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`).join('; ');
      return { ok: false, state: this.state, message: `cannot recover: the included applications would be in different states (${detail}); exclude the odd ones out or abort` };
    }
    for (const [app, s] of targets) if (app.state !== s) app.force(s);
    return { ok: true, state: this.state, message: `recovered: ${this.state}` };
  }

  /** Excludes a node from transitions; its booted applications are told with `exclude`. */
  async exclude(pathOrName: string, args: TransitionArgs = {}): Promise<NodeOutcome[]> {
    return this.setIncluded(pathOrName, false, args);
  }

  async include(pathOrName: string, args: TransitionArgs = {}): Promise<NodeOutcome[]> {
    return this.setIncluded(pathOrName, true, args);
  }

  /** Releases the listener and the exit watch; leaves processes to the caller's choice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeExit();
    await this.listener.close();
  }

  describeState(node: ControlNode = this.tree.root): string {
    if (node.state !== MIXED || node.kind === 'app') return node.state;
    const counts = new Map<string, number>();
    for (const app of this.tree.appsUnder(node, true)) counts.set(app.state, (counts.get(app.state) ?? 0) + 1);
    return `mixed (${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')})`;
  }

  private async setIncluded(pathOrName: string, included: boolean, args: TransitionArgs): Promise<NodeOutcome[]> {
    this.assertUsable();
    const verb = included ? 'include' : 'exclude';
    this.assertIdle(verb);
    const node = this.node(pathOrName);
    if (node.kind === 'root') throw new SessionError(`cannot ${verb} the whole session`);
    const outcomes: NodeOutcome[] = [];
    const resource = args.resourceName ?? node.name;
    // Told before exclusion and after inclusion, so the applications always hear it.
    if (included) node.setIncluded(true);
    const targets = this.tree.appsUnder(node).filter((a) => this.opts.processManager.info(a.name)?.alive && a.state !== this.fsm.initial);
    await Promise.all(targets.map(async (app) => {
      const t0 = Date.now();
      try {
        await sendCommand(this.listener, app.endpoint, app.name, buildCommand(verb, baseModuleData(verb, { resourceName: resource }), app.config.commands[verb], undefined, undefined), this.commandTimeouts(app, verb, args));
        outcomes.push({ path: app.path, name: app.name, kind: 'app', outcome: 'ok', startedAt: t0, durationMs: Date.now() - t0 });
      } catch (err) {
        outcomes.push({ path: app.path, name: app.name, kind: 'app', outcome: 'failed', reason: (err as Error).message, startedAt: t0, durationMs: Date.now() - t0 });
        this.log('warn', `${verb} ${resource}: ${app.name} did not acknowledge: ${(err as Error).message}`, app.path);
      }
    }));
    if (!included) node.setIncluded(false);
    for (const n of this.tree.walk(node)) this.events.emit(n.toEvent());
    return outcomes;
  }

  private async runNode(node: ControlNode, transition: string, args: TransitionArgs & { runNumber?: number }, op: Operation): Promise<NodeOutcome> {
    if (!node.includedHere) return { path: node.path, name: node.name, kind: node.kind, outcome: 'skipped' };
    if (node.kind === 'app') return this.runApp(node, transition, args, op);
    return this.runSegment(node, transition, args, op);
  }

  private async runSegment(seg: SegmentNode, transition: string, args: TransitionArgs, op: Operation): Promise<NodeOutcome> {
    const startedAt = Date.now();
    const children = seg.includedChildren;
    const byName = new Map(children.map((c) => [c.name, c]));
    const groups = groupsFor(seg.config, transition, children.map((c) => c.name));
    seg.setTransition({ name: transition, startedAt, done: 0, total: this.tree.appsUnder(seg, true).length });
    const results = new Map<string, NodeOutcome>();
    let blocked: string | undefined;
    for (const group of groups) {
      if (blocked || op.abort.signal.aborted) {
        const why = op.abort.signal.aborted ? 'aborted' : blocked;
        for (const name of group) results.set(name, this.skippedTree(byName.get(name)!, why!, op.abort.signal.aborted ? 'aborted' : 'skipped'));
        continue;
      }
      const outs = await Promise.all(group.map((name) => this.runNode(byName.get(name)!, transition, args, op)));
      group.forEach((name, i) => results.set(name, outs[i]));
      const bad = outs.find((o) => o.outcome === 'failed' || o.outcome === 'timeout' || o.outcome === 'aborted');
      if (bad) blocked = `not attempted: ${bad.name} ${bad.outcome === 'timeout' ? 'timed out' : bad.outcome} in an earlier group`;
    }
    seg.setTransition(undefined);
    const childOutcomes = seg.children.map((c) => results.get(c.name) ?? { path: c.path, name: c.name, kind: c.kind, outcome: 'skipped' as const });
    const finishedAt = Date.now();
    return { path: seg.path, name: seg.name, kind: seg.kind, outcome: combineOutcomes(childOutcomes), startedAt, finishedAt, durationMs: finishedAt - startedAt, children: childOutcomes };
  }

  private async runApp(app: AppNode, transition: string, args: TransitionArgs & { runNumber?: number }, op: Operation): Promise<NodeOutcome> {
    const startedAt = Date.now();
    const result = (outcome: Outcome, reason?: string): NodeOutcome => {
      const finishedAt = Date.now();
      op.finished++;
      if (this.events.hasListeners) this.events.emit({ type: 'transition', phase: 'progress', name: transition, path: op.path, done: op.finished, total: op.total });
      return { path: app.path, name: app.name, kind: 'app', outcome, reason, startedAt, finishedAt, durationMs: finishedAt - startedAt };
    };
    const from = app.state;
    const stopsProcess = transition === 'terminate';
    if (!stopsProcess && !this.fsm.canFire(from, transition)) {
      return result('failed', `${transition} is not allowed from ${from}`);
    }
    if (op.abort.signal.aborted) return result('aborted', 'aborted');
    if (stopsProcess && from === this.fsm.initial && !this.opts.processManager.info(app.name)?.alive) return result('ok', 'not running');
    // terminate stops a process whatever its FSM state (so shutdown works after an error
    // elsewhere); the node is first put where terminate may start from.
    if (stopsProcess && !this.fsm.canFire(from, transition)) app.force(this.fsm.sources(transition)[0]);
    const dest = this.fsm.destination(app.state, transition);
    app.begin(transition, startedAt);
    const own = new AbortController();
    op.inflight.add(own);
    try {
      if (transition === 'boot') await this.bootApp(app, own.signal);
      else if (stopsProcess) await this.opts.processManager.stop(app.name, { graceMs: this.config.terminateGraceMs });
      else {
        const cmd = this.preparedCommand(op, transition, args, app.config.commands[transition], from, dest);
        await sendCommand(this.listener, app.endpoint, app.name, cmd, this.commandTimeouts(app, transition, args, own.signal));
      }
      if (op.abort.signal.aborted) {
        app.cancel();
        return result('aborted', 'aborted');
      }
      app.succeed();
      return result('ok');
    } catch (err) {
      if (op.abort.signal.aborted) {
        app.cancel();
        return result('aborted', 'aborted');
      }
      const reason = (err as Error).message;
      const timedOut = (err instanceof CommandError && err.kind === 'timeout') || (err as { code?: string }).code === 'BOOT_TIMEOUT' || /timed out|within \d+ ?ms/.test(reason);
      app.fail(reason);
      this.events.emit({ type: 'error', path: app.path, message: reason });
      return result(timedOut ? 'timeout' : 'failed', reason);
    } finally {
      op.inflight.delete(own);
    }
  }

  private preparedCommand(op: Operation, transition: string, args: TransitionArgs, configured: Record<string, unknown> | undefined, from: string, dest: string): PreparedCommand {
    let byStates = op.prepared.get(configured);
    if (!byStates) op.prepared.set(configured, (byStates = new Map()));
    const key = `${from}\u0000${dest}`;
    let cmd = byStates.get(key);
    if (!cmd) byStates.set(key, (cmd = prepareCommand(buildCommand(transition, baseModuleData(transition, args), configured, from, dest))));
    return cmd;
  }

  private async bootApp(app: AppNode, signal: AbortSignal): Promise<void> {
    const exec = this.config.execs[app.config.exec];
    if (!exec) throw new SessionError(`exec "${app.config.exec}" is not defined`);
    const where = `app "${app.name}" env`;
    const env = buildEnvironment({ ...exec.env, ...app.config.env }, this.opts.env ?? process.env, where);
    const spec: AppLaunchSpec = {
      name: app.name,
      command: exec.command[0],
      args: [...exec.command.slice(1), ...exec.args, ...app.config.args],
      env,
      cwd: exec.cwd ? path.resolve(path.dirname(this.config.file), exec.cwd) : undefined,
      host: app.config.host,
      port: app.config.port,
    };
    const timeoutMs = timeoutFor('boot', this.timeoutTables(app));
    const info = await this.opts.processManager.start(spec, { timeoutMs, signal });
    app.process = info;
    app.endpoint = { host: info.host, port: info.port };
    this.events.emit({ type: 'process', app: app.name, path: app.path, alive: true, pid: info.pid });
  }

  private commandTimeouts(app: AppNode, transition: string, args: TransitionArgs, signal?: AbortSignal) {
    const replyTimeoutMs = args.timeoutMs ?? timeoutFor(transition, this.timeoutTables(app));
    return { replyTimeoutMs, postTimeoutMs: Math.min(this.opts.postTimeoutMs ?? 5_000, replyTimeoutMs), signal };
  }

  private timeoutTables(app: AppNode) {
    const tables = [app.config.timeouts];
    for (let p = app.parent; p; p = p.parent) tables.push(p.config.timeouts);
    tables.push(this.config.timeouts, { default: this.opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS });
    return tables;
  }

  private onProcessExit(info: AppProcessInfo): void {
    const app = this.tree.app(info.name);
    if (!app) return;
    app.process = info;
    this.events.emit({ type: 'process', app: app.name, path: app.path, alive: false, pid: info.pid, exitCode: info.exitCode, signal: info.signal, reason: info.reason, expected: info.expected });
    if (info.expected) return;
    const reason = `process died (${info.reason ?? describeExit(info)})`;
    // A command in flight fails now rather than at its timeout.
    this.listener.failPending(app.name, reason);
    if (app.fsm.inProgress || app.state === this.fsm.initial) return;
    app.fail(reason);
    this.events.emit({ type: 'error', path: app.path, message: reason });
    this.log('error', `${app.name}: ${reason}`, app.path);
  }

  private skippedTree(node: ControlNode, reason: string, outcome: Outcome): NodeOutcome {
    if (node.kind === 'app') return { path: node.path, name: node.name, kind: 'app', outcome, reason };
    return { path: node.path, name: node.name, kind: node.kind, outcome, reason, children: node.children.map((c) => this.skippedTree(c, reason, outcome)) };
  }

  private outcomeTree(node: ControlNode, apps: Map<string, NodeOutcome>): NodeOutcome {
    if (node.kind === 'app') return apps.get(node.path) ?? { path: node.path, name: node.name, kind: 'app', outcome: 'skipped' };
    const children = node.children.map((c) => this.outcomeTree(c, apps));
    return { path: node.path, name: node.name, kind: node.kind, outcome: combineOutcomes(children), children };
  }

  private refusal(node: ControlNode, transition: string): string {
    const where = node.kind === 'root' ? `session ${this.name}` : node.path;
    if (node.state === MIXED) return `${transition} is not possible: ${where} is ${this.describeState(node)}; bring the applications to one state, exclude the odd ones out, or abort`;
    const allowed = this.fsm.allowedFrom(node.state);
    return `${transition} is not allowed from ${node.state} (${where}); allowed: ${allowed.join(', ') || 'none'}`;
  }

  private assertIdle(what: string): void {
    if (this.op) throw new SessionError(`cannot ${what}: ${this.op.name} is in progress (${this.op.finished}/${this.op.total} applications done); wait, or abort`);
  }

  private assertUsable(): void {
    if (this.closed) throw new SessionError(`session ${this.name} is closed`);
  }

  private log(level: LogLevel, message: string, nodePath?: string): void {
    this.events.emit({ type: 'log', level, message, path: nodePath });
  }
}

function describeExit(info: AppProcessInfo): string {
  if (info.signal) return `killed by ${info.signal}`;
  if (info.exitCode !== undefined && info.exitCode !== null) return `exit code ${info.exitCode}`;
  return 'exited';
}

export type { RunType, ActiveRun };
