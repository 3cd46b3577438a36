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
  /** Container image on the kubernetes backend; overrides spec.kubernetes.image. */
  image?: string;
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
  /** Kubernetes backend only: container image, overriding the exec's and spec.kubernetes.image. */
  image?: string;
  placement: Placement;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  mounts: HostMount[];
  privileged: boolean;
  hostNetwork: boolean;
  /** Command run in the container before SIGTERM on terminate. */
  preStop?: string[];
  where: SourceLocation;
}

/** A node-label rule: strict rules are required, others preferred with a weight. */
export interface NodeRule {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values: string[];
  strict: boolean;
  weight?: number;
}

/** (Anti-)affinity with other applications of the configuration. */
export interface PodRule {
  apps: string[];
  strict: boolean;
  weight?: number;
  topologyKey?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface Placement {
  nodeSelector: Record<string, string>;
  nodeAffinity: NodeRule[];
  affinity: PodRule[];
  antiAffinity: PodRule[];
  tolerations: Toleration[];
}

export interface HostMount {
  hostPath: string;
  path: string;
  readOnly: boolean;
}

/** spec.kubernetes: where and how the session's pods run. */
export interface KubernetesSettings {
  /** kubeconfig context; default: the one chosen by the user, else the current context. */
  context?: string;
  /** The session's namespace; default metadata.name. */
  namespace: string;
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets: string[];
  serviceAccount?: string;
  /** Address advertised to pods for command replies (and bound); default: auto-detected. */
  listenerHost?: string;
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
  /** metadata.labels, copied to Kubernetes objects. */
  labels: Record<string, string>;
  /** spec.kubernetes, always filled in (defaults) so that the backend can be chosen late. */
  kubernetes: KubernetesSettings;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_GRACE_MS = 5_000;
