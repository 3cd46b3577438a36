// How a session event reads in a front end's log: one line at a level, or nothing.
import type { LogLevel, SessionEvent } from './events';

export const LOG_LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The log line of an event; undefined for events that are not logged (progress, node changes). */
export function eventLogLine(e: SessionEvent): { level: LogLevel; text: string } | undefined {
  switch (e.type) {
    case 'log':
      return { level: e.level, text: `${e.path ? `${e.path}: ` : ''}${e.message}` };
    case 'error':
      return { level: 'error', text: `${e.path}: ${e.message}` };
    case 'run':
      return { level: 'info', text: `run ${e.number} (${e.runType}) ${e.phase}${e.outcome ? `: ${e.outcome}` : ''}` };
    case 'transition':
      if (e.phase === 'progress') return undefined;
      return { level: 'info', text: `${e.name}${e.path ? ` on ${e.path}` : ''} ${e.phase}${e.report ? (e.report.ok ? ' ok' : ' FAILED') : ''}` };
    default:
      return undefined;
  }
}
