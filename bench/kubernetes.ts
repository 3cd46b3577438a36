/**
 * npm run bench:kubernetes [-- --apps 10,100,500]
 *
 * Boots sessions of 10, 100 and 500 reference applications on the simulated cluster (each
 * pod is one real `baton-daq-app` process run by the simulated kubelet) and prints, per
 * size: boot time, start_run time, stop_run + shutdown time, and the API requests Baton
 * made per application for the whole cycle (open, boot, start_run, stop_run, shutdown,
 * close), from the simulator's request counter. Prints figures; asserts nothing.
 * Last line: RESULT kubernetes apps=<largest> boot_ms=<ms> requests_per_app=<n>
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSimCluster } from '../test/support/kube-sim';
import { parseRunConfig } from '../src/core/config/load';
import { openSession } from '../src/core/control/open-session';

const REPO = path.resolve(__dirname, '..');
const DAQ_APP = path.join(REPO, 'dist/daq-app.js');
/** Measured on this machine: a daq-app process has ~7.4 MB private memory (44 MB RSS, mostly the shared node binary). */
const PRIVATE_MB_PER_APP = 8;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function configText(apps: number): string {
  const lines = [
    'apiVersion: baton.dev/v1alpha1',
    'kind: RunConfig',
    `metadata: {name: bench-${apps}}`,
    'spec:',
    '  backend: kubernetes',
    '  kubernetes: {image: "baton/daq-app:0.1", listenerHost: 127.0.0.1}',
    '  execs:',
    '    daq-app:',
    '      command: [baton-daq-app]',
    '      args: [--name, "{name}", -c, "rest://{host}:{port}", --log-level, warn]',
    '  timeouts: {default: 60s, boot: 300s}',
    '  terminateGrace: 5s',
    '  segments:',
  ];
  const perSegment = 50;
  for (let s = 0; s * perSegment < apps; s++) {
    lines.push(`    - name: seg-${s}`, '      apps:');
    for (let i = s * perSegment; i < Math.min(apps, (s + 1) * perSegment); i++) {
      // Spread over the nodes as a real system would ask for it.
      lines.push(`        - {name: app-${i}, exec: daq-app, placement: {antiAffinity: [{apps: [app-${i}], strict: false}]}}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

interface Figures {
  /** CPU time of this process (Baton and the simulated API server) during boot. */
  bootCpuMs: number;
  bootMs: number;
  startMs: number;
  stopMs: number;
  perApp: number;
  byKind: Record<string, number>;
}

async function measure(apps: number, nodes: number): Promise<Figures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-k8s-'));
  const sim = await startSimCluster({ nodes, daqApp: DAQ_APP });
  try {
    const kubeconfig = path.join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig);
    const file = path.join(dir, 'bench.baton.yaml');
    const text = configText(apps);
    fs.writeFileSync(file, text);
    const config = parseRunConfig(text, file);
    sim.requests.reset();
    const handle = await openSession(config, { batonDir: path.join(dir, '.baton'), kubernetes: { kubeconfig } });
    const figures = { bootCpuMs: 0, bootMs: 0, startMs: 0, stopMs: 0 };
    try {
      const s = handle.session;
      let t = Date.now();
      const cpu = process.cpuUsage();
      const boot = await s.execute('boot');
      figures.bootMs = Date.now() - t;
      const used = process.cpuUsage(cpu);
      figures.bootCpuMs = Math.round((used.user + used.system) / 1000);
      if (!boot.ok) throw new Error(`boot failed: ${JSON.stringify('failures' in boot ? boot.failures.slice(0, 3) : boot)}`);
      t = Date.now();
      const start = await s.execute('start_run');
      figures.startMs = Date.now() - t;
      if (!start.ok) throw new Error('start_run failed');
      t = Date.now();
      await s.execute('stop_run');
      const shutdown = await s.execute('shutdown');
      figures.stopMs = Date.now() - t;
      if (!shutdown.ok) throw new Error('shutdown failed');
    } finally {
      await handle.close();
    }
    return { ...figures, perApp: sim.requests.total() / apps, byKind: sim.requests.byKind() };
  } finally {
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = (arg('--apps') ?? '10,100,500').split(',').map(Number).filter((n) => n > 0);
  console.log(`kubernetes backend on the simulated cluster: ${os.cpus().length} CPUs, ${Math.round(os.freemem() / 2 ** 20)} MB free`);
  let last: { apps: number; bootMs: number; perApp: number } | undefined;
  for (const apps of sizes) {
    const needMb = apps * PRIVATE_MB_PER_APP;
    if (needMb > (os.freemem() / 2 ** 20) * 0.7) {
      console.log(`apps=${apps}: skipped, needs ~${needMb} MB for its processes, ${Math.round(os.freemem() / 2 ** 20)} MB free`);
      continue;
    }
    const nodes = Math.max(4, Math.ceil(apps / 50));
    const r = await measure(apps, nodes);
    const kinds = Object.entries(r.byKind).map(([k, v]) => `${k}=${v}`).join(', ');
    console.log(`apps=${apps} nodes=${nodes}: boot ${r.bootMs} ms (CPU of Baton + simulated API server in that time: ${r.bootCpuMs} ms; the rest is the kubelet starting ${apps} processes), start_run ${r.startMs} ms, stop_run+shutdown ${r.stopMs} ms, requests/app ${r.perApp.toFixed(2)} (${kinds})`);
    last = { apps, bootMs: r.bootMs, perApp: r.perApp };
  }
  // Clusters view: listing 1,000 nodes with 10,000 pods is measured by the Clusters view's
  // own benchmark (src/core/backends/kubernetes/cluster-inventory.ts); its figure belongs here.
  if (last) console.log(`RESULT kubernetes apps=${last.apps} boot_ms=${last.bootMs} requests_per_app=${last.perApp.toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
