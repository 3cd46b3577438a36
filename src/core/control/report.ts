import { formatDuration } from '../config/duration';

export type Outcome = 'ok' | 'failed' | 'timeout' | 'skipped' | 'aborted';

export interface NodeOutcome {
  path: string;
  name: string;
  kind: 'root' | 'segment' | 'app';
  outcome: Outcome;
  reason?: string;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  children?: NodeOutcome[];
}

/** The "execution report": what happened at every node during one transition. */
export interface ExecutionReport {
  transition: string;
  path: string;
  ok: boolean;
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  root: NodeOutcome;
  /** Every application that did not end ok (skipped excluded nodes are not failures). */
  failures: Array<{ path: string; outcome: Outcome; reason?: string }>;
}

const SEVERITY: Record<Outcome, number> = { skipped: 0, ok: 1, aborted: 2, timeout: 3, failed: 4 };

/** A segment's outcome is its worst child's; a segment of only skipped children is skipped. */
export function combineOutcomes(children: NodeOutcome[]): Outcome {
  let worst: Outcome = 'skipped';
  for (const c of children) if (SEVERITY[c.outcome] > SEVERITY[worst]) worst = c.outcome;
  return worst;
}

export function collectFailures(root: NodeOutcome): ExecutionReport['failures'] {
  const out: ExecutionReport['failures'] = [];
  const walk = (n: NodeOutcome) => {
    if (n.children) n.children.forEach(walk);
    else if (n.outcome !== 'ok' && !(n.outcome === 'skipped' && !n.reason)) out.push({ path: n.path, outcome: n.outcome, reason: n.reason });
  };
  walk(root);
  return out;
}

/** Renders the report as an indented tree for terminals and log files. */
export function formatReport(report: ExecutionReport, opts: { onlyProblems?: boolean } = {}): string {
  const lines = [`${report.transition} ${report.ok ? 'succeeded' : 'FAILED'} in ${formatDuration(report.durationMs)}`];
  const walk = (n: NodeOutcome, depth: number) => {
    if (opts.onlyProblems && n.outcome === 'ok' && depth > 0) return;
    const time = n.durationMs !== undefined ? ` ${formatDuration(n.durationMs)}` : '';
    const reason = n.reason ? `: ${n.reason}` : '';
    lines.push(`${'  '.repeat(depth + 1)}${n.name} ${n.outcome}${time}${reason}`);
    n.children?.forEach((c) => walk(c, depth + 1));
  };
  walk(report.root, 0);
  return lines.join('\n');
}
