import type { ExecutionReport } from './report';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A node's visible state changed (state, transition in progress, error, inclusion). */
export interface NodeEvent {
  type: 'node';
  path: string;
  kind: 'root' | 'segment' | 'app';
  state: string;
  transition?: string;
  error?: string;
  included: boolean;
}

export interface TransitionEvent {
  type: 'transition';
  phase: 'started' | 'progress' | 'finished';
  name: string;
  /** The node the transition was executed on ('' = the whole session). */
  path: string;
  done: number;
  total: number;
  report?: ExecutionReport;
}

export interface SequenceEvent {
  type: 'sequence';
  phase: 'started' | 'step' | 'skipped' | 'finished';
  name: string;
  step?: string;
  ok?: boolean;
  message?: string;
}

export interface ProcessEvent {
  type: 'process';
  app: string;
  path: string;
  alive: boolean;
  pid?: number;
  exitCode?: number | null;
  signal?: string | null;
  reason?: string;
  expected?: boolean;
}

export interface RunEvent {
  type: 'run';
  phase: 'started' | 'stopped';
  number: number;
  runType: string;
  outcome?: string;
}

export interface LogEvent {
  type: 'log';
  level: LogLevel;
  message: string;
  path?: string;
}

export interface ErrorEvent {
  type: 'error';
  path: string;
  message: string;
}

export type SessionEvent = (NodeEvent | TransitionEvent | SequenceEvent | ProcessEvent | RunEvent | LogEvent | ErrorEvent) & { time: number };
export type SessionEventInput = NodeEvent | TransitionEvent | SequenceEvent | ProcessEvent | RunEvent | LogEvent | ErrorEvent;

/**
 * A synchronous typed event stream. Front ends (tree view, status bar, CLI, JSON lines)
 * subscribe; a throwing subscriber is isolated so it cannot break the controller.
 */
export class EventStream {
  private listeners: Array<(e: SessionEvent) => void> = [];

  subscribe(listener: (e: SessionEvent) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  emit(event: SessionEventInput): void {
    if (this.listeners.length === 0) return;
    const e = { ...event, time: Date.now() } as SessionEvent;
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A broken front end must not stop run control; it only loses its own update.
      }
    }
  }
}
