/**
 * npm run bench:kubernetes [-- --apps 10,100,500]
 *
 * Boots sessions of 10, 100 and 500 reference applications on the simulated cluster (each
 * pod is one real `baton-daq-app` process run by the simulated kubelet) and prints, per
 * size: boot time, start_run time, stop_run + shutdown time, and the API requests Baton
 * made per application for the whole cycle (open, boot, start_run, stop_run, shutdown,
 * close), from the simulator's request counter. Prints figures; asserts nothing.
 * Then the Clusters view's listing: 1,000 nodes and 10,000 Baton pods (whose image cannot
 * be pulled, so the kubelet starts no process) listed and watched over HTTP and turned
 * into tree items (`--nodes N --pods M` to change the size).
 * Last line: RESULT kubernetes apps=<largest> boot_ms=<ms> requests_per_app=<n>
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSimCluster } from '../test/support/kube-sim';
import { parseRunConfig } from '../src/core/config/load';
import { openSession } from '../src/core/control/open-session';
import { loadKubeAccess } from '../src/core/backends/kubernetes/kube-access';
import { ClusterInventory } from '../src/core/backends/kubernetes/cluster-inventory';
import { LABEL_APP, LABEL_MANAGED_BY, LABEL_SESSION, MANAGED_BY } from '../src/core/backends/kubernetes/pod-spec';
import { listClusterTree } from '../src/extension/views/clusters-model';

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

/** What expanding a context in the Clusters view costs on a big cluster. */
async function measureClustersView(nodes: number, pods: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-k8s-'));
  const sim = await startSimCluster({ nodes, images: () => false });
  try {
    const kubeconfig = path.join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig);
    const access = loadKubeAccess({ kubeconfig, env: {} });
    const core = access.core();
    const namespace = 'bench-view';
    const labels = { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SESSION]: namespace };
    await core.createNamespace({ body: { metadata: { name: namespace, labels } } });
    let next = 0;
    const create = async (): Promise<void> => {
      for (let i = next++; i < pods; i = next++) {
        await core.createNamespacedPod({
          namespace,
          body: {
            metadata: { name: `app-${i}`, labels: { ...labels, [LABEL_APP]: `app-${i}` } },
            // Bound at creation (as a DaemonSet's pods are): the listing is what is measured, not the simulated scheduler.
            spec: { nodeName: `node-${i % nodes}`, restartPolicy: 'Never', containers: [{ name: 'app', image: 'bench/unpullable:1' }] },
          },
        });
      }
    };
    await Promise.all(Array.from({ length: 32 }, create));

    const times: number[] = [];
    let items = 0;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      const inventory = new ClusterInventory({ access });
      try {
        await Promise.all([inventory.watchNodes(), inventory.watchPods()]);
        const tree = listClusterTree(inventory.index);
        items = tree.nodes.length + tree.pods.length;
      } finally {
        inventory.dispose();
      }
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`clusters view: ${nodes} nodes, ${pods} pods: list + watch over HTTP + ${items} tree items in ${Math.round(times[1])} ms (median of 3; min ${Math.round(times[0])} ms)`);
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
  await measureClustersView(Number(arg('--nodes') ?? 1000), Number(arg('--pods') ?? 10_000));
  if (last) console.log(`RESULT kubernetes apps=${last.apps} boot_ms=${last.bootMs} requests_per_app=${last.perApp.toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
