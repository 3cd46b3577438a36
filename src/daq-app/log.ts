export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where info/debug lines go; default stdout. warn/error always go to stderr. */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** One line per event: `<ISO timestamp> <LEVEL> [<name>] <message>`. */
export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  const min = RANK[opts.level ?? 'info'];
  const out = opts.out ?? ((l: string) => process.stdout.write(l));
  const err = opts.err ?? ((l: string) => process.stderr.write(l));
  const line = (level: LogLevel, msg: string): string => `${new Date().toISOString()} ${level.toUpperCase()} [${name}] ${msg}\n`;
  return {
    debug: (m) => void (min <= RANK.debug && out(line('debug', m))),
    info: (m) => void (min <= RANK.info && out(line('info', m))),
    warn: (m) => void (min <= RANK.warn && err(line('warn', m))),
    error: (m) => void (min <= RANK.error && err(line('error', m))),
    enabled: (level) => min <= RANK[level],
  };
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  enabled: () => false,
};

export function isLogLevel(s: string): s is LogLevel {
  return s in RANK;
}
