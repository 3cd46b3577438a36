import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiServer } from './api-server';
import { ClusterState } from './cluster-state';
import { RequestFaults } from './faults';
import type { SimCluster, SimClusterOptions, SimFaults, SimKind, SimNodeSpec } from './types';

/**
 * A simulated Kubernetes cluster for tests: an API server speaking the real REST API
 * (core/v1 pods, services, namespaces, nodes, events; discovery; watch; logs; Status
 * errors; server-side Tables for kubectl), a scheduler with the default filters and
 * messages, and a kubelet that runs each container as a real local process on the pod's
 * own loopback address. It is a test double: never imported by src/.
 */

export type { SimCluster, SimClusterOptions, SimFaults, SimKind, SimNodeSpec, SimTaint, RequestMatch } from './types';

/** First line of every kubeconfig the simulator writes: how it recognises its own files. */
export const KUBECONFIG_MARKER = '# written by the Baton simulated cluster (test/support/kube-sim)';

const defaultDaqApp = (): string => path.resolve(__dirname, '..', '..', '..', 'dist', 'daq-app.js');

function nodeSpecs(nodes: SimClusterOptions['nodes']): SimNodeSpec[] {
  if (Array.isArray(nodes)) return nodes;
  const n = nodes ?? 1;
  if (!Number.isInteger(n) || n < 0) throw new Error(`nodes must be a non-negative integer, got ${n}`);
  return Array.from({ length: n }, (_, i) => ({ name: `node-${i}` }));
}

export async function startSimCluster(opts: SimClusterOptions = {}): Promise<SimCluster> {
  const daqApp = opts.daqApp ?? defaultDaqApp();
  const state = new ClusterState({
    images: opts.images ?? ((image) => image.includes('daq-app')),
    daqApp,
    startDelayMs: opts.kubeletStartDelayMs ?? 0,
  });
  for (const spec of nodeSpecs(opts.nodes)) state.addNode(spec);
  const adminToken = randomBytes(16).toString('hex');
  const forbiddenToken = randomBytes(16).toString('hex');
  const faults = new RequestFaults();
  const server = new ApiServer(state, faults, {
    admin: 'sim-admin',
    byToken: new Map([
      [adminToken, { name: 'sim-admin', forbidden: false }],
      [forbiddenToken, { name: 'sim-forbidden', forbidden: true }],
    ]),
  });
  try {
    await server.listen(opts.port ?? 0);
  } catch (e) {
    await state.stop();
    throw e;
  }
  let stopped = false;

  const simFaults: SimFaults = {
    dropWatches: () => server.watches.dropAll(),
    compactHistory: () => state.store.compact(),
    failNext: (count, code, match) => faults.failNext(count, code, match),
    delay: (ms, match) => faults.delay(ms, match),
    setNodeReady: (node, ready) => state.setNodeReady(node, ready),
    evictPod: (namespace, name, message) => state.evict(namespace, name, message ?? 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi.'),
    killContainer: (namespace, name, signal) => {
      state.get('pods', namespace, name);
      if (!state.kubelet.killContainer(namespace, name, signal ?? 'SIGKILL')) throw new Error(`pod ${namespace}/${name} has no running container`);
    },
    restartApiServer: (downMs) => server.restart(downMs),
    forbid: (resource, verb) => faults.forbid(resource, verb),
  };

  return {
    get url() {
      return server.url;
    },
    writeKubeconfig(file, o = {}) {
      const context = o.context ?? 'sim';
      const user = o.user ?? 'admin';
      const token = user === 'forbidden' ? forbiddenToken : adminToken;
      const text = [
        KUBECONFIG_MARKER,
        'apiVersion: v1',
        'kind: Config',
        'preferences: {}',
        'clusters:',
        `- name: ${JSON.stringify(context)}`,
        '  cluster:',
        `    server: ${JSON.stringify(server.url)}`,
        // @kubernetes/client-node refuses plain http unless this is set; kubectl ignores it for http
        '    insecure-skip-tls-verify: true',
        'users:',
        `- name: ${JSON.stringify(`${context}-${user}`)}`,
        '  user:',
        `    token: ${JSON.stringify(token)}`,
        'contexts:',
        `- name: ${JSON.stringify(context)}`,
        '  context:',
        `    cluster: ${JSON.stringify(context)}`,
        `    user: ${JSON.stringify(`${context}-${user}`)}`,
        ...(o.namespace ? [`    namespace: ${JSON.stringify(o.namespace)}`] : []),
        `current-context: ${JSON.stringify(context)}`,
        '',
      ].join('\n');
      // write-then-rename: a reader never sees half a kubeconfig
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text, { mode: 0o600 });
      fs.renameSync(tmp, file);
    },
    faults: simFaults,
    requests: server.requests,
    store: {
      get: (kind: SimKind, namespace: string | undefined, name: string) => {
        const o = state.store.get(kind, namespace, name);
        return o === undefined ? undefined : structuredClone(o);
      },
      list: (kind: string, namespace?: string) => state.store.list(kind, namespace).map((o) => structuredClone(o)),
    },
    addNode: (spec) => {
      state.addNode(spec);
    },
    pids: () => state.kubelet.pids(),
    openWatches: () => server.watches.size,
    async stop() {
      if (stopped) return;
      stopped = true;
      await state.stop();
      await server.close();
    },
  };
}
