import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSimCluster, type SimCluster, type SimNodeSpec } from '../../../support/kube-sim';
import { parseRunConfig } from '../../../../src/core/config/load';
import type { RunConfig } from '../../../../src/core/config/types';
import { openSession, type SessionHandle } from '../../../../src/core/control/open-session';

export const DAQ_APP = path.resolve(__dirname, '../../../../dist/daq-app.js');

/** Four nodes; node-0 and node-1 carry a FELIX card (label and extended resource). */
export function felixNodes(n = 4): SimNodeSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `node-${i}`,
    labels: { 'kubernetes.io/hostname': `node-${i}`, ...(i < 2 ? { 'felix.cern/card': 'true' } : {}) },
    allocatable: { cpu: '16', memory: '64Gi', pods: '110', ...(i < 2 ? { 'felix.cern/card': '1' } : {}) },
  }));
}

/** A fresh command port base per test file, so that simulated clusters of other test runs on this machine (same loopback pod addresses) cannot collide. */
export const PORT_BASE = 20_000 + Math.floor(Math.random() * 20_000);

export interface AppSpec {
  name: string;
  extra?: string;
}

/** A kubernetes run configuration of reference applications with fixed, test-unique ports. */
export function kubeConfigText(name: string, apps: AppSpec[], opts: { image?: string; boot?: string; grace?: string } = {}): string {
  const lines = [
    'apiVersion: baton.dev/v1alpha1',
    'kind: RunConfig',
    `metadata: {name: ${name}}`,
    'spec:',
    '  backend: kubernetes',
    '  kubernetes:',
    `    image: ${opts.image ?? 'baton/daq-app:0.1'}`,
    '    listenerHost: 127.0.0.1',
    '  execs:',
    '    daq-app:',
    '      command: [baton-daq-app]',
    '      args: [--name, "{name}", -c, "rest://{host}:{port}"]',
    `  timeouts: {default: 10s, boot: ${opts.boot ?? '20s'}}`,
    `  terminateGrace: ${opts.grace ?? '2s'}`,
    '  apps:',
  ];
  apps.forEach((a, i) => lines.push(`    - {name: ${a.name}, exec: daq-app, port: ${PORT_BASE + i}${a.extra ? `, ${a.extra}` : ''}}`));
  return `${lines.join('\n')}\n`;
}

export class KubeFixture {
  sim?: SimCluster;
  dir = '';
  kubeconfig = '';
  handles: SessionHandle[] = [];

  async start(opts: { nodes?: SimNodeSpec[]; kubeletStartDelayMs?: number } = {}): Promise<SimCluster> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-k8s-'));
    this.sim = await startSimCluster({ nodes: opts.nodes ?? felixNodes(), daqApp: DAQ_APP, kubeletStartDelayMs: opts.kubeletStartDelayMs });
    this.kubeconfig = path.join(this.dir, 'kubeconfig');
    this.sim.writeKubeconfig(this.kubeconfig);
    return this.sim;
  }

  config(text: string): RunConfig {
    const file = path.join(this.dir, 'run.baton.yaml');
    fs.writeFileSync(file, text);
    return parseRunConfig(text, file);
  }

  async open(config: RunConfig, batonDir = path.join(this.dir, '.baton'), kubeconfig = this.kubeconfig, requestTimeoutMs?: number): Promise<SessionHandle> {
    const h = await openSession(config, { batonDir, kubernetes: { kubeconfig, requestTimeoutMs } });
    this.handles.push(h);
    return h;
  }

  /** Pods and services of a namespace still on the cluster. */
  leftovers(namespace: string): string[] {
    const sim = this.sim!;
    return [...sim.store.list('pods', namespace).map((p) => `pod/${p.metadata.name}`), ...sim.store.list('services', namespace).map((s) => `service/${s.metadata.name}`)];
  }

  async stop(): Promise<void> {
    for (const h of this.handles.splice(0)) await h.close().catch(() => undefined);
    await this.sim?.stop();
    this.sim = undefined;
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function waitFor(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
