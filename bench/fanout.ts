/**
 * Fan-out benchmark: one full start_run + stop_run cycle (7 transitions) over N reference
 * applications hosted in one farm process, every command taking 200 ms of simulated work,
 * all propagated in parallel. The ideal cycle is the applications' own critical path,
 * 7 x 200 ms; the ratio wall/ideal is what the run control adds. Prints figures only.
 *
 *   npm run bench:fanout [-- --apps 1000 --cycles 3 --work-ms 200]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { parseRunConfig } from '../src/core/config/load';
import { Session } from '../src/core/control/session';
import type { SequenceReport } from '../src/core/control/session';
import { FarmProcessManager } from '../test/support/farm-process-manager';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SIZES = args.includes('--apps') ? [opt('apps', 1000)] : [100, 1000];
const CYCLES = opt('cycles', 3);
const WORK_MS = opt('work-ms', 200);
const SEGMENTS = 10;
const TRANSITIONS_PER_CYCLE = 7;
const DAQ_APP = path.resolve(__dirname, '../dist/daq-app.js');

function config(apps: number): string {
  const per = Math.ceil(apps / SEGMENTS);
  const segs: string[] = [];
  for (let s = 0; s < SEGMENTS; s++) {
    const names = [];
    for (let i = s * per; i < Math.min(apps, (s + 1) * per); i++) names.push(`        - {name: farm-${String(i).padStart(4, '0')}, exec: farm}`);
    if (names.length) segs.push(`    - name: seg-${s}\n      apps:\n${names.join('\n')}`);
  }
  return `apiVersion: baton.dev/v1alpha1
kind: RunConfig
metadata: {name: fanout}
spec:
  execs:
    farm: {command: [unused]}
  timeouts: {default: 60s}
  segments:
${segs.join('\n')}
`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(apps: number): Promise<{ wall: number; cold: number; heapMb: number; rssMb: number }> {
  const batonDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-'));
  const pm = new FarmProcessManager({ daqApp: DAQ_APP, name: 'farm', count: apps, args: ['--delay-ms', String(WORK_MS)] });
  const session = await Session.open(parseRunConfig(config(apps), 'fanout.baton.yaml'), { batonDir, processManager: pm });
  try {
    const boot = await session.transition('boot');
    if (!boot.ok) throw new Error(`boot failed: ${JSON.stringify(boot.failures.slice(0, 3))}`);
    const walls: number[] = [];
    for (let c = 0; c <= CYCLES; c++) {
      const t0 = performance.now();
      const a = (await session.execute('start_run')) as SequenceReport;
      const b = (await session.execute('stop_run')) as SequenceReport;
      const wall = performance.now() - t0;
      const steps = a.steps.length + b.steps.length;
      if (!a.ok || !b.ok || steps !== TRANSITIONS_PER_CYCLE) throw new Error(`cycle failed: ${a.error ?? b.error ?? `${steps} steps`}`);
      walls.push(wall);
      await session.transition('scrap'); // back to initial, so the next start_run has conf again
    }
    (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    const [cold, ...warm] = walls;
    return { wall: median(warm.length ? warm : [cold]), cold, heapMb: mem.heapUsed / 2 ** 20, rssMb: mem.rss / 2 ** 20 };
  } finally {
    await session.abort().catch(() => undefined);
    await session.close();
    await pm.dispose();
    fs.rmSync(batonDir, { recursive: true, force: true });
  }
}

async function main() {
  if (!fs.existsSync(DAQ_APP)) throw new Error('build first: npm run build');
  const slowest = TRANSITIONS_PER_CYCLE * WORK_MS;
  let last = '';
  for (const apps of SIZES) {
    const r = await measure(apps);
    console.log(`apps=${apps} cycles=${CYCLES} cold_cycle_ms=${r.cold.toFixed(0)} median_cycle_ms=${r.wall.toFixed(0)} controller_heap_mb=${r.heapMb.toFixed(1)} controller_rss_mb=${r.rssMb.toFixed(1)}`);
    last = `RESULT fanout apps=${apps} slowest_ms=${slowest} wall_ms=${r.wall.toFixed(0)} ratio=${(r.wall / slowest).toFixed(3)} heap_mb=${r.heapMb.toFixed(1)} rss_mb=${r.rssMb.toFixed(1)}`;
  }
  console.log(last);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
