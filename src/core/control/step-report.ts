// What one step (a transition or a sequence) reports, for front ends that run either kind.
import { formatReport, type ExecutionReport } from './report';
import type { SequenceReport } from './session';

export type StepReport = ExecutionReport | SequenceReport;

/** Every application that did not end ok, over all the transitions of the step. */
export function stepFailures(report: StepReport): ExecutionReport['failures'] {
  return 'sequence' in report ? report.steps.flatMap((s) => s.failures) : report.failures;
}

/** The report as text: a sequence is a headline followed by the report of each transition. */
export function formatStepReport(report: StepReport): string {
  if (!('sequence' in report)) return formatReport(report);
  const head = `${report.sequence} ${report.ok ? 'succeeded' : 'FAILED'}${report.error ? `: ${report.error}` : ''}${report.skipped.length ? ` (skipped: ${report.skipped.join(', ')})` : ''}`;
  return [head, ...report.steps.map((s) => formatReport(s))].join('\n\n');
}
