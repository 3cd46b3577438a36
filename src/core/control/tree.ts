import type { AppConfig, SegmentConfig } from '../config/types';
import type { AppProcessInfo } from '../backends/process-manager';
import type { Fsm } from '../fsm/fsm';
import { NodeFsm } from '../fsm/node-machine';
import type { EventStream, NodeEvent } from './events';

import { EMPTY, MIXED } from './aggregate-states';

export { EMPTY, MIXED };

export interface NodeError {
  message: string;
  since: number;
  /** Path of the application the error came from. */
  from: string;
}

export interface TransitionProgress {
  name: string;
  startedAt: number;
  done: number;
  total: number;
}

interface TreeContext {
  fsm: Fsm;
  events: EventStream;
}

abstract class BaseNode {
  parent?: SegmentNode;
  transition?: TransitionProgress;
  protected includedFlag = true;
  /** The state this node last reported to its parent (what the parent counted). */
  reported?: string;

  constructor(
    readonly name: string,
    readonly path: string,
    protected readonly ctx: TreeContext,
  ) {}

  abstract readonly kind: 'root' | 'segment' | 'app';
  abstract get state(): string;
  abstract get error(): NodeError | undefined;

  /** Included here and in every ancestor. */
  get included(): boolean {
    return this.includedFlag && (this.parent?.included ?? true);
  }

  get includedHere(): boolean {
    return this.includedFlag;
  }

  get inProgress(): boolean {
    return this.transition !== undefined;
  }

  toEvent(): NodeEvent {
    return {
      type: 'node',
      path: this.path,
      kind: this.kind,
      state: this.state,
      transition: this.transition?.name,
      error: this.error?.message,
      included: this.included,
    };
  }

  /** Tells the parent (and so on up) that this node's visible state may have changed. */
  protected propagate(): void {
    const now = this.includedFlag ? this.state : undefined;
    const before = this.reported;
    this.reported = now;
    if (this.ctx.events.hasListeners) this.ctx.events.emit(this.toEvent());
    if (before !== now) this.parent?.childChanged(before, now);
  }
}

export class AppNode extends BaseNode {
  readonly kind = 'app' as const;
  readonly fsm: NodeFsm;
  process?: AppProcessInfo;
  lastCommand?: string;
  lastOkCommand?: string;
  /** Where the application listens for commands, known once booted. */
  endpoint: { host: string; port: number };
  /** The stable state the application had when it went into error (used by recover). */
  stateBeforeError?: string;
  private errorInfo?: NodeError;

  constructor(readonly config: AppConfig, path: string, ctx: TreeContext) {
    super(config.name, path, ctx);
    this.fsm = new NodeFsm(ctx.fsm);
    this.endpoint = { host: config.host, port: config.port };
    this.reported = this.state;
  }

  get state(): string {
    return this.fsm.state;
  }

  get error(): NodeError | undefined {
    return this.state === this.ctx.fsm.errorState ? this.errorInfo : undefined;
  }

  begin(transition: string, at = Date.now()): void {
    this.fsm.begin(transition);
    this.lastCommand = transition;
    this.transition = { name: transition, startedAt: at, done: 0, total: 1 };
    this.propagate();
  }

  succeed(): void {
    const name = this.transition?.name;
    this.fsm.succeed();
    if (name) this.lastOkCommand = name;
    this.transition = undefined;
    this.propagate();
  }

  /** Ends the transition in progress without a state change (e.g. skipped or cancelled). */
  cancel(): void {
    if (!this.fsm.inProgress) return;
    this.fsm.force(this.fsm.state);
    this.transition = undefined;
    this.propagate();
  }

  fail(message: string): void {
    if (this.state !== this.ctx.fsm.errorState) this.stateBeforeError = this.fsm.state;
    this.errorInfo = { message, since: Date.now(), from: this.path };
    if (this.fsm.inProgress) this.fsm.fail(message);
    else this.fsm.force(this.ctx.fsm.errorState, message);
    this.transition = undefined;
    this.propagate();
  }

  force(state: string, reason?: string): void {
    if (state === this.ctx.fsm.errorState) {
      this.fail(reason ?? 'forced into error');
      return;
    }
    this.errorInfo = undefined;
    this.fsm.force(state);
    this.transition = undefined;
    this.propagate();
  }

  setIncluded(included: boolean): void {
    if (this.includedFlag === included) return;
    this.includedFlag = included;
    this.propagate();
  }
}

export class SegmentNode extends BaseNode {
  readonly kind: 'root' | 'segment';
  readonly children: Array<SegmentNode | AppNode> = [];
  /** How many included children report each state: keeps aggregation O(1) per change. */
  private readonly counts = new Map<string, number>();
  private derived: string = EMPTY;

  constructor(readonly config: SegmentConfig, path: string, ctx: TreeContext, isRoot: boolean) {
    super(config.name, path, ctx);
    this.kind = isRoot ? 'root' : 'segment';
  }

  get state(): string {
    return this.derived;
  }

  get error(): NodeError | undefined {
    if (this.derived !== this.ctx.fsm.errorState) return undefined;
    for (const c of this.children) {
      const e = c.includedHere ? c.error : undefined;
      if (e) return e;
    }
    return undefined;
  }

  /** The included children, in configuration order. */
  get includedChildren(): Array<SegmentNode | AppNode> {
    return this.children.filter((c) => c.includedHere);
  }

  childChanged(before: string | undefined, after: string | undefined): void {
    if (before !== undefined) {
      const n = (this.counts.get(before) ?? 1) - 1;
      if (n <= 0) this.counts.delete(before);
      else this.counts.set(before, n);
    }
    if (after !== undefined) this.counts.set(after, (this.counts.get(after) ?? 0) + 1);
    const next = this.aggregate();
    if (next !== this.derived) {
      this.derived = next;
      this.propagate();
    }
  }

  /** Recomputes after construction; children report themselves through childChanged. */
  initialise(): void {
    this.counts.clear();
    for (const c of this.children) if (c.includedHere && c.reported !== undefined) this.counts.set(c.reported, (this.counts.get(c.reported) ?? 0) + 1);
    this.derived = this.aggregate();
    this.reported = this.includedFlag ? this.derived : undefined;
  }

  setIncluded(included: boolean): void {
    if (this.includedFlag === included) return;
    this.includedFlag = included;
    this.propagate();
  }

  setTransition(progress: TransitionProgress | undefined): void {
    this.transition = progress;
    if (this.ctx.events.hasListeners) this.ctx.events.emit(this.toEvent());
  }

  private aggregate(): string {
    if (this.counts.size === 0) return EMPTY;
    if (this.counts.has(this.ctx.fsm.errorState)) return this.ctx.fsm.errorState;
    if (this.counts.size === 1) return this.counts.keys().next().value as string;
    return MIXED;
  }
}

export type ControlNode = SegmentNode | AppNode;

/** The control tree of one session, built from the configuration. */
export class ControlTree {
  readonly root: SegmentNode;
  private readonly byPath = new Map<string, ControlNode>();
  private readonly appsByName = new Map<string, AppNode>();

  constructor(rootConfig: SegmentConfig, fsm: Fsm, events: EventStream) {
    const ctx = { fsm, events };
    const build = (cfg: SegmentConfig, path: string, parent: SegmentNode | undefined): SegmentNode => {
      const seg = new SegmentNode(cfg, path, ctx, parent === undefined);
      seg.parent = parent;
      this.byPath.set(path, seg);
      for (const child of cfg.children) {
        const childPath = path ? `${path}/${child.name}` : child.name;
        if (child.kind === 'app') {
          const app = new AppNode(child, childPath, ctx);
          app.parent = seg;
          seg.children.push(app);
          this.byPath.set(childPath, app);
          this.appsByName.set(app.name, app);
        } else {
          seg.children.push(build(child, childPath, seg));
        }
      }
      seg.initialise();
      return seg;
    };
    // The root's path is '' so that paths read like "readout/ru-apa1".
    this.root = build(rootConfig, '', undefined);
  }

  get apps(): AppNode[] {
    return [...this.appsByName.values()];
  }

  app(name: string): AppNode | undefined {
    return this.appsByName.get(name);
  }

  /** Finds a node by path ("readout/ru-apa1"), by app name, or '' / '/' for the root. */
  find(pathOrName: string): ControlNode | undefined {
    const key = pathOrName.replace(/^\/+|\/+$/g, '');
    return this.byPath.get(key) ?? this.appsByName.get(key);
  }

  /** Applications under a node, in configuration order. */
  appsUnder(node: ControlNode, onlyIncluded = false): AppNode[] {
    if (node.kind === 'app') return onlyIncluded && !node.included ? [] : [node];
    if (onlyIncluded && !node.includedHere) return [];
    return node.children.flatMap((c) => this.appsUnder(c, onlyIncluded));
  }

  /** Every node, depth first, root first. */
  *walk(node: ControlNode = this.root): Generator<ControlNode> {
    yield node;
    if (node.kind !== 'app') for (const c of node.children) yield* this.walk(c);
  }
}
