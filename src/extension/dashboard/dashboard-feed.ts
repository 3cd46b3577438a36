// What the dashboard webview is told, and when. Pure (no 'vscode'): the panel passes the
// messages to `webview.postMessage`. One full snapshot when the webview is (re)loaded, then
// deltas of only the changed nodes and timeline bars, at most one per interval (~one frame),
// because a transition of a thousand applications emits thousands of events.
import type { SessionEvent } from '../../core/control/events';
import type { Session } from '../../core/control/session';
import type { TimelineDelta, TimelineModel, TimelineTransition } from '../../core/control/timeline';
import type { ControlNode } from '../../core/control/tree';
import { Coalescer, type TimerFns } from '../views/coalescer';
import { layoutFsm, type FsmLayout } from './fsm-layout';

export interface NodeRow {
  path: string;
  name: string;
  kind: 'root' | 'segment' | 'app';
  depth: number;
  /** Path of the parent ('' for top-level segments; undefined for the root). */
  parent?: string;
  state: string;
  /** Segments: "mixed (2 running, 1 ready)". */
  stateText?: string;
  transition?: { name: string; done?: number; total?: number };
  error?: string;
  included: boolean;
  alive?: boolean;
  pid?: number;
  endpoint?: string;
  appCount?: number;
}

export interface SessionHeader {
  name: string;
  state: string;
  stateText: string;
  /** The transition or sequence step in progress, where it started and where it goes. */
  busy?: { name: string; from: string; to?: string; done: number; total: number };
  run?: { number: number; type: string; startedAt: number };
  errorState: string;
  initial: string;
}

export interface SnapshotMessage {
  type: 'snapshot';
  now: number;
  session: SessionHeader;
  layout: FsmLayout;
  nodes: NodeRow[];
  timeline: TimelineTransition[];
}

export interface DeltaMessage {
  type: 'delta';
  now: number;
  session: SessionHeader;
  nodes: NodeRow[];
  timeline?: TimelineDelta;
}

export interface EmptyMessage {
  type: 'empty';
}

export type DashboardMessage = SnapshotMessage | DeltaMessage | EmptyMessage;

/** Messages the webview sends back. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'showLog'; path: string }
  | { type: 'rendered'; summary: RenderedSummary };

/** What the webview drew, read from its DOM (integration tests compare it with the session). */
export interface RenderedSummary {
  state: string;
  apps: number;
  nodes: number;
  fsmBoxes: number;
  fsmEdges: number;
  currentBox?: string;
  timeline: Array<{ name: string; bars: number; slowest?: string }>;
  /** Bars drawn for the selected transition, and its name. */
  shownBars: number;
  selected?: string;
  /** The application of the top row (tree order for a few, slowest first for many). */
  firstBar?: string;
  /** Bars of the selected transition still waiting for a reply. */
  runningBars: number;
  /** The state the transition in progress goes to, and the edge drawn as active. */
  targetBox?: string;
  activeEdge?: string;
  /** The body's class: VS Code's theme kind (vscode-light, vscode-dark, vscode-high-contrast…). */
  theme: string;
}

/** The parts of a Session the feed reads. */
export type FeedSession = Pick<Session, 'name' | 'state' | 'fsm' | 'tree' | 'events' | 'runs' | 'describeState' | 'processManager'>;

export class DashboardFeed {
  private readonly dirty: Coalescer<string>;
  private readonly unsubscribe: () => void;
  private busy?: SessionHeader['busy'];
  private layout?: FsmLayout;

  constructor(
    private readonly session: FeedSession,
    private readonly timeline: TimelineModel,
    private readonly post: (m: DashboardMessage) => void,
    opts: { intervalMs?: number; timers?: TimerFns } = {},
  ) {
    this.dirty = new Coalescer<string>((keys) => this.flush(keys), opts.intervalMs ?? 16, 2000, opts.timers);
    // Opened in the middle of a transition: the root still shows the state it started from.
    const root = session.tree.root;
    if (root.transition) this.busy = this.busyFor(root.transition.name, root.transition.total, root.transition.done);
    this.unsubscribe = session.events.subscribe((e) => this.onEvent(e));
  }

  /** The full picture, for a webview that has just loaded. Pending deltas are folded in. */
  snapshot(): SnapshotMessage {
    this.dirty.cancel();
    this.timeline.drain();
    this.layout ??= layoutFsm(this.session.fsm);
    return {
      type: 'snapshot',
      now: Date.now(),
      session: this.header(),
      layout: this.layout,
      nodes: [...this.session.tree.walk()].map((n) => this.row(n)),
      timeline: this.timeline.transitions(),
    };
  }

  dispose(): void {
    this.unsubscribe();
    this.dirty.dispose();
  }

  private onEvent(e: SessionEvent): void {
    switch (e.type) {
      case 'node':
      case 'process':
      case 'error':
        this.dirty.add(e.path);
        break;
      case 'transition':
        if (e.phase === 'started') {
          this.busy = this.busyFor(e.name, e.total, 0);
        } else if (e.phase === 'progress' && this.busy) {
          this.busy.done = e.done;
          this.busy.total = e.total;
        } else if (e.phase === 'finished') {
          this.busy = undefined;
        }
        this.dirty.add('');
        break;
      case 'run':
        this.dirty.add('');
        break;
      default:
        break;
    }
  }

  private flush(keys: ReadonlySet<string> | 'all'): void {
    const nodes: NodeRow[] = [];
    if (keys === 'all') for (const n of this.session.tree.walk()) nodes.push(this.row(n));
    else {
      for (const path of keys) {
        const n = this.session.tree.find(path);
        if (n) nodes.push(this.row(n));
      }
    }
    const timeline = this.timeline.drain();
    this.post({ type: 'delta', now: Date.now(), session: this.header(), nodes, timeline });
  }

  private busyFor(name: string, total: number, done: number): SessionHeader['busy'] {
    const from = this.session.state;
    const fsm = this.session.fsm;
    const to = fsm.isState(from) && fsm.canFire(from, name) ? fsm.destination(from, name) : undefined;
    return { name, from, to, done, total };
  }

  private header(): SessionHeader {
    const s = this.session;
    const run = s.runs.active;
    return {
      name: s.name,
      state: s.state,
      stateText: s.describeState(),
      busy: this.busy && { ...this.busy },
      run: run && { number: run.number, type: run.type, startedAt: run.startedAt },
      errorState: s.fsm.errorState,
      initial: s.fsm.initial,
    };
  }

  private row(n: ControlNode): NodeRow {
    const depth = n.path === '' ? 0 : n.path.split('/').length;
    const row: NodeRow = {
      path: n.path,
      name: n.name,
      kind: n.kind,
      depth,
      parent: n.parent?.path,
      state: n.state,
      included: n.included,
    };
    if (n.transition) row.transition = { name: n.transition.name, done: n.transition.done, total: n.transition.total };
    if (n.error) row.error = n.error.message;
    if (n.kind === 'app') {
      const info = this.session.processManager.info(n.name) ?? n.process;
      row.alive = info?.alive;
      row.pid = info?.pid;
      row.endpoint = `${info?.host ?? n.endpoint.host}:${info?.port || n.endpoint.port}`;
    } else {
      row.stateText = this.session.describeState(n);
      row.appCount = this.session.tree.appsUnder(n, true).length;
    }
    return row;
  }
}
