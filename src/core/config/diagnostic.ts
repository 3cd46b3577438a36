/** 0-based, LSP style: `character` counts UTF-16 code units, as JavaScript strings do. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'info';

export interface BatonDiagnostic {
  /** Stable identifier (see DIAGNOSTIC_CODES); editors and CI filters key on it. */
  code: string;
  severity: Severity;
  message: string;
  range: Range;
  /** Dotted path of the field concerned, e.g. `spec.segments[1].apps[0].port`. */
  field?: string;
  /** Data for a quick fix, e.g. `{ suggestion: 'timeouts' }` or `{ missing: ['trigger'] }`. */
  data?: unknown;
}

/**
 * Every code the validator emits, with its default severity. Codes are part of the
 * interface (quick fixes, CI filters, documentation): rename none, only add.
 */
export const DIAGNOSTIC_CODES = {
  // Input that cannot be read as one YAML document
  'yaml-syntax': 'error',
  'duplicate-key': 'error',
  'yaml-warning': 'warning',
  'multiple-documents': 'error',
  'empty-document': 'error',
  'alias-limit': 'error',
  'too-deep': 'error',
  'too-large': 'error',
  // Schema
  'unknown-key': 'error',
  'missing-key': 'error',
  'wrong-type': 'error',
  'invalid-value': 'error',
  'invalid-key': 'error',
  'out-of-range': 'error',
  'schema-violation': 'error',
  // Meaning
  'duplicate-name': 'error',
  'invalid-k8s-name': 'error',
  'underscore-in-name': 'error',
  'unknown-exec': 'error',
  'unknown-host': 'error',
  'unknown-app': 'error',
  'unknown-placeholder': 'error',
  'bad-placeholder': 'error',
  'port-collision': 'error',
  'port-in-auto-range': 'warning',
  'empty-segment': 'error',
  'order-unknown-child': 'error',
  'order-duplicate': 'error',
  'order-missing-children': 'warning',
  'unknown-transition': 'warning',
  'fsm-invalid': 'error',
  'timeout-out-of-range': 'error',
  'forbidden-host-mount': 'error',
  'anti-affinity-unschedulable': 'error',
  'getenv-unset': 'warning',
  // A bug in Baton, reported rather than thrown so an editor or CI run keeps going
  'internal-error': 'error',
} as const satisfies Record<string, Severity>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
