import type { FsmDefinition } from '../fsm/types';

/** Where a value came from, so errors and (later) diagnostics can point at it. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface ExecConfig {
  name: string;
  /** argv[0] and any fixed leading arguments; never run through a shell. */
  command: string[];
  args: string[];
  /** Values may be literals, `getenv`, `getenv:DEFAULT` or `getenv_ifset`. */
  env: Record<string, string>;
  cwd?: string;
}

/** Milliseconds per transition name, plus `default`. */
export type TimeoutTable = Record<string, number>;

/** Ordered groups of child names per transition; absent = all children in parallel. */
export type OrderTable = Record<string, string[][]>;

export interface AppConfig {
  kind: 'app';
  name: string;
  exec: string;
  host: string;
  /** 0 = allocate a free port at boot. */
  port: number;
  /** Extra arguments after the exec's own. */
  args: string[];
  env: Record<string, string>;
  timeouts: TimeoutTable;
  /** Per-transition command data merged into what Baton sends (e.g. conf module data). */
  commands: Record<string, Record<string, unknown>>;
  where: SourceLocation;
}

export interface SegmentConfig {
  kind: 'segment';
  name: string;
  children: Array<SegmentConfig | AppConfig>;
  order: OrderTable;
  timeouts: TimeoutTable;
  where: SourceLocation;
}

export interface RunConfig {
  name: string;
  backend: 'local' | 'kubernetes';
  file: string;
  /** The text the configuration was read from, kept for run records. */
  text: string;
  execs: Record<string, ExecConfig>;
  timeouts: TimeoutTable;
  /** Grace between SIGTERM and SIGKILL when terminating. */
  terminateGraceMs: number;
  root: SegmentConfig;
  fsm?: FsmDefinition;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_GRACE_MS = 5_000;
