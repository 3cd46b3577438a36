// baton-daq-app: the reference DAQ application (see app.ts), with the command line of
// DUNE's daq_application (`--name NAME -c rest://HOST:PORT`) plus simulation flags.
import { sleep } from '../core/util/process-info';
import { DaqApplication } from './app';
import { parseDaqAppArgs, UsageError, USAGE, type DaqAppArgs } from './cli-args';
import { Farm } from './farm';
import { createLogger } from './log';

async function run(args: DaqAppArgs): Promise<void> {
  const farmMode = args.farm !== undefined;
  const procLog = createLogger(args.name, {
    level: args.logLevel ?? (farmMode ? 'warn' : 'info'),
    // In farm mode stdout carries only the {"farm":...} line.
    out: farmMode ? (l) => process.stderr.write(l) : undefined,
  });

  let closeAll: () => Promise<void> = async () => undefined;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    procLog.info(`${signal} received, closing`);
    const force = setTimeout(() => process.exit(0), 2000);
    force.unref();
    closeAll().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  if (args.exitAfterMs !== undefined) {
    const ms = args.exitAfterMs;
    setTimeout(() => {
      procLog.error(`simulated death after ${ms} ms (exit code 3)`);
      process.exit(3);
    }, ms);
  }

  if (args.startupDelayMs) {
    procLog.info(`waiting ${args.startupDelayMs} ms before listening`);
    await sleep(args.startupDelayMs);
    if (stopping) return;
  }

  if (farmMode) {
    const farm = new Farm({
      name: args.name,
      host: args.bindHost,
      port: args.port,
      count: args.farm ?? 1,
      sim: args.sim,
      logLevel: args.logLevel ?? 'warn',
    });
    closeAll = () => farm.close();
    const members = await farm.listen();
    process.stdout.write(`${JSON.stringify({ farm: members })}\n`);
    procLog.info(`farm of ${members.length} applications listening on ${args.bindHost}`);
    return;
  }

  const app = new DaqApplication({
    name: args.name,
    host: args.bindHost,
    port: args.port,
    sim: args.sim,
    log: procLog,
    onCrash: () => process.exit(1),
  });
  closeAll = () => app.close();
  await app.listen();
}

function main(argv: string[]): void {
  let args: DaqAppArgs;
  try {
    args = parseDaqAppArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`baton-daq-app: ${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  run(args).catch((e: Error) => {
    process.stderr.write(`${new Date().toISOString()} ERROR [${args.name}] cannot start: ${e.message}\n`);
    process.exit(1);
  });
}

main(process.argv.slice(2));
