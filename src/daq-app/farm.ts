import { DaqApplication, type SimulationOptions } from './app';
import { createLogger, type LogLevel } from './log';

export interface FarmOptions {
  /** Base name; applications are `<name>-0000`, `<name>-0001`, ... */
  name: string;
  host: string;
  /** 0: every application gets an ephemeral port; P: they use P .. P+count-1. */
  port: number;
  count: number;
  sim?: SimulationOptions;
  logLevel?: LogLevel;
  /** Log sink; default stderr (stdout carries the single `{"farm":...}` line). */
  logLine?: (line: string) => void;
}

export interface FarmMember {
  name: string;
  port: number;
}

export function farmMemberName(base: string, index: number): string {
  return `${base}-${String(index).padStart(4, '0')}`;
}

/**
 * Many applications in one process, each on its own port, each with its own state.
 * A simulated crash closes only that application's server abruptly (its port refuses
 * connections afterwards); the others keep running.
 */
export class Farm {
  readonly apps: DaqApplication[];

  constructor(opts: FarmOptions) {
    const sink = opts.logLine ?? ((l: string) => process.stderr.write(l));
    this.apps = [];
    for (let i = 0; i < opts.count; i++) {
      const name = farmMemberName(opts.name, i);
      this.apps.push(
        new DaqApplication({
          name,
          host: opts.host,
          port: opts.port === 0 ? 0 : opts.port + i,
          sim: opts.sim,
          log: createLogger(name, { level: opts.logLevel ?? 'warn', out: sink, err: sink }),
        }),
      );
    }
  }

  /** Listen on every port; if one fails, the others are closed and the error is thrown. */
  async listen(): Promise<FarmMember[]> {
    const results = await Promise.allSettled(this.apps.map((a) => a.listen()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.close();
      throw failed.reason;
    }
    return this.apps.map((a, i) => ({ name: a.name, port: (results[i] as PromiseFulfilledResult<{ port: number }>).value.port }));
  }

  async close(): Promise<void> {
    await Promise.all(this.apps.map((a) => a.close()));
  }
}
