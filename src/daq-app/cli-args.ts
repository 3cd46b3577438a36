import { parseArgs } from 'node:util';
import { isLogLevel, type LogLevel } from './log';
import type { SimulationOptions } from './simulation';

export interface DaqAppArgs {
  name: string;
  /** Host as given in -c rest://HOST:PORT. */
  host: string;
  /** Address to bind (`localhost` -> 127.0.0.1). */
  bindHost: string;
  port: number;
  sim: SimulationOptions;
  exitAfterMs?: number;
  startupDelayMs?: number;
  farm?: number;
  logLevel?: LogLevel;
  help: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: baton-daq-app --name NAME -c rest://HOST:PORT [options]

The reference DAQ application: speaks DUNE's restcmd protocol (POST /command, reply to
X-Answer-Host:X-Answer-Port/response). Also accepts and ignores daq_application's
-i/--informationService, --configurationService and -d.

Simulation:
  --delay-ms N            every command takes N ms
  --delay CMD=MS          command CMD takes MS ms (repeatable)
  --fail-on CMD[=MSG]     CMD fails with MSG; the application stays in error (repeatable)
  --crash-on CMD          the process exits (1) on CMD; in a farm, that application's port closes (repeatable)
  --hang-on CMD           CMD never gets a reply; the application stays busy (repeatable)
  --exit-after-ms N       the process exits on its own with code 3 after N ms
  --startup-delay-ms N    start listening only after N ms
  --farm N                host N applications NAME-0000.. in one process (ports P..P+N-1,
                          or ephemeral with -c rest://HOST:0); prints {"farm":[...]} on stdout
  --log-level L           debug|info|warn|error (default info; warn in farm mode)
A command's data may carry "simulate": {"delay_ms", "fail", "crash", "hang"} (also in data.modules[].data).
`;

function nonNegInt(flag: string, v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`${flag} expects a non-negative integer, got "${v}"`);
  return Number(v);
}

function cmdName(flag: string, v: string): string {
  if (v.trim() === '') throw new UsageError(`${flag} expects a command name`);
  return v.trim();
}

export function parseRestUri(uri: string): { host: string; port: number } {
  const m = /^rest:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(uri.trim());
  if (!m) throw new UsageError(`-c expects rest://HOST:PORT, got "${uri}"`);
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError(`port out of range in "${uri}"`);
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { host, port };
}

export function parseDaqAppArgs(argv: string[]): DaqAppArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        name: { type: 'string', short: 'n' },
        commandFacility: { type: 'string', short: 'c' },
        informationService: { type: 'string', short: 'i' },
        configurationService: { type: 'string' },
        'd-ignored': { type: 'string', short: 'd' },
        'delay-ms': { type: 'string' },
        delay: { type: 'string', multiple: true },
        'fail-on': { type: 'string', multiple: true },
        'crash-on': { type: 'string', multiple: true },
        'hang-on': { type: 'string', multiple: true },
        'exit-after-ms': { type: 'string' },
        'startup-delay-ms': { type: 'string' },
        farm: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const help = values.help === true;
  if (help) return { name: '', host: '', bindHost: '', port: 0, sim: {}, help };
  if (!values.name || values.name.trim() === '') throw new UsageError('--name NAME is required');
  if (!values.commandFacility) throw new UsageError('-c rest://HOST:PORT is required');
  const { host, port } = parseRestUri(values.commandFacility);

  const sim: SimulationOptions = {};
  if (values['delay-ms'] !== undefined) sim.delayMs = nonNegInt('--delay-ms', values['delay-ms']);
  for (const d of values.delay ?? []) {
    const i = d.indexOf('=');
    if (i <= 0) throw new UsageError(`--delay expects CMD=MS, got "${d}"`);
    (sim.delays ??= {})[d.slice(0, i).trim()] = nonNegInt('--delay', d.slice(i + 1));
  }
  for (const f of values['fail-on'] ?? []) {
    const i = f.indexOf('=');
    const cmd = cmdName('--fail-on', i < 0 ? f : f.slice(0, i));
    const msg = i < 0 || f.slice(i + 1).trim() === '' ? `simulated failure of "${cmd}"` : f.slice(i + 1);
    (sim.failOn ??= {})[cmd] = msg;
  }
  for (const c of values['crash-on'] ?? []) (sim.crashOn ??= []).push(cmdName('--crash-on', c));
  for (const c of values['hang-on'] ?? []) (sim.hangOn ??= []).push(cmdName('--hang-on', c));

  const args: DaqAppArgs = {
    name: values.name.trim(),
    host,
    bindHost: host === 'localhost' ? '127.0.0.1' : host,
    port,
    sim,
    help,
  };
  if (values['exit-after-ms'] !== undefined) args.exitAfterMs = nonNegInt('--exit-after-ms', values['exit-after-ms']);
  if (values['startup-delay-ms'] !== undefined) args.startupDelayMs = nonNegInt('--startup-delay-ms', values['startup-delay-ms']);
  if (values.farm !== undefined) {
    const n = nonNegInt('--farm', values.farm);
    if (n < 1) throw new UsageError('--farm expects at least 1');
    if (port !== 0 && port + n - 1 > 65535) throw new UsageError(`--farm ${n} from port ${port} goes past 65535`);
    args.farm = n;
  }
  if (values['log-level'] !== undefined) {
    if (!isLogLevel(values['log-level'])) throw new UsageError(`--log-level expects debug|info|warn|error, got "${values['log-level']}"`);
    args.logLevel = values['log-level'];
  }
  return args;
}
