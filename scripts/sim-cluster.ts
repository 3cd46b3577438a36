/**
 * Starts the simulated Kubernetes cluster of the tests by hand, for trying Baton's
 * Kubernetes backend, the Clusters view or kubectl against it:
 *
 *   npm run sim:cluster -- --nodes 3 --kubeconfig /tmp/sim.kubeconfig \
 *       [--port 6443] [--labels node-0:felix.cern/card=true,...] [--extended node-0:felix.cern/card=1,...]
 *
 * Writes the kubeconfig (never over a file it did not write itself), runs until Ctrl-C,
 * then kills every container process and removes nothing but that kubeconfig.
 * kubectl works against it; `kubectl apply/create -f` need --validate=false (no OpenAPI).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { KUBECONFIG_MARKER, startSimCluster, type SimNodeSpec } from '../test/support/kube-sim';

const USAGE = `Usage: npm run sim:cluster -- --nodes N --kubeconfig FILE [--port P]
       [--labels NODE:KEY=VALUE,...] [--extended NODE:RESOURCE=QUANTITY,...]

  --nodes N         nodes node-0 .. node-(N-1) (cpu 16, memory 64Gi each); default 1
  --kubeconfig FILE kubeconfig to write (context "sim"); refused if FILE exists and was not written by the simulator
  --port P          API server port on 127.0.0.1 (default: any free port)
  --labels          extra node labels, e.g. node-0:felix.cern/card=true,node-1:rack=2
  --extended        extended resources added to a node's allocatable, e.g. node-0:felix.cern/card=1`;

class UsageError extends Error {}

/** Parses "node:key=value,..." into per-node maps. */
function perNode(flag: string, text: string | undefined, nodes: Set<string>): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const item of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^:]+):([^=]+)=(.*)$/.exec(item);
    if (!m) throw new UsageError(`${flag} expects NODE:KEY=VALUE, got "${item}"`);
    if (!nodes.has(m[1])) throw new UsageError(`${flag}: no node "${m[1]}" (nodes are ${[...nodes].join(', ')})`);
    out.set(m[1], { ...(out.get(m[1]) ?? {}), [m[2]]: m[3] });
  }
  return out;
}

function parse(argv: string[]): { nodes: SimNodeSpec[]; kubeconfig: string; port: number } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { nodes: { type: 'string' }, kubeconfig: { type: 'string' }, port: { type: 'string' }, labels: { type: 'string' }, extended: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const n = values.nodes === undefined ? 1 : Number(values.nodes);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new UsageError(`--nodes expects a whole number from 1 to 500, got "${values.nodes}"`);
  if (!values.kubeconfig) throw new UsageError('--kubeconfig FILE is required');
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port expects 0..65535, got "${values.port}"`);
  const names = Array.from({ length: n }, (_, i) => `node-${i}`);
  const labels = perNode('--labels', values.labels, new Set(names));
  const extended = perNode('--extended', values.extended, new Set(names));
  return {
    nodes: names.map((name) => ({ name, labels: labels.get(name), allocatable: extended.get(name) })),
    kubeconfig: path.resolve(values.kubeconfig),
    port,
  };
}

function ownFile(file: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8').startsWith(KUBECONFIG_MARKER);
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  let opts;
  try {
    opts = parse(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`sim-cluster: ${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (fs.existsSync(opts.kubeconfig) && !ownFile(opts.kubeconfig)) {
    console.error(`sim-cluster: ${opts.kubeconfig} exists and was not written by the simulator; not overwriting it`);
    process.exit(1);
  }
  const cluster = await startSimCluster({ nodes: opts.nodes, port: opts.port });
  cluster.writeKubeconfig(opts.kubeconfig);
  console.log(`Simulated cluster with ${opts.nodes.length} node(s) at ${cluster.url}`);
  console.log(`export KUBECONFIG=${opts.kubeconfig}`);
  console.log('Ctrl-C stops it and removes that kubeconfig.');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the simulated cluster`);
    void cluster.stop().finally(() => {
      if (ownFile(opts.kubeconfig)) fs.rmSync(opts.kubeconfig, { force: true });
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(`sim-cluster: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
