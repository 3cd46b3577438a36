import { randomBytes, randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { now } from './defaults';
import type { KubeObject } from './store';
import type { SimNodeSpec } from './types';

/** Node objects as a kubelet registers them, and the conditions and taints of readiness. */

/** What the node lifecycle controller puts on a NotReady node. */
export const NODE_NOT_READY_TAINTS = [
  { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
];

const PRESSURE_CONDITIONS = [
  ['MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  ['DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  ['PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
] as const;

export function readyCondition(ready: boolean, t: string): KubeObject {
  return ready
    ? { type: 'Ready', status: 'True', lastHeartbeatTime: t, lastTransitionTime: t, reason: 'KubeletReady', message: 'kubelet is posting ready status' }
    : { type: 'Ready', status: 'False', lastHeartbeatTime: t, lastTransitionTime: t, reason: 'KubeletNotReady', message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady (simulated)' };
}

/** A node with 16 cpu, 64Gi memory and 110 pods unless the spec says otherwise, at address `ip`. */
export function buildNode(spec: SimNodeSpec, ip: string): KubeObject {
  const allocatable: Record<string, string> = { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '100Gi', ...(spec.allocatable ?? {}) };
  const ready = spec.ready ?? true;
  const taints = [...(spec.taints ?? []), ...(ready ? [] : NODE_NOT_READY_TAINTS), ...(spec.unschedulable ? [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] : [])];
  const t = now();
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      uid: randomUUID(),
      creationTimestamp: t,
      labels: { 'kubernetes.io/hostname': spec.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64', ...(spec.labels ?? {}) },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { ...(taints.length ? { taints: taints.map((x) => ({ ...x, ...(x.effect === 'NoExecute' || x.key.startsWith('node.kubernetes.io/') ? { timeAdded: t } : {}) })) } : {}), ...(spec.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity: { ...allocatable },
      allocatable,
      conditions: [
        ...PRESSURE_CONDITIONS.map(([type, reason, message]) => ({ type, status: 'False', lastHeartbeatTime: t, lastTransitionTime: t, reason, message })),
        readyCondition(ready, t),
      ],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: spec.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: randomBytes(16).toString('hex'),
        systemUUID: randomUUID(),
        bootID: randomUUID(),
        kernelVersion: os.release(),
        osImage: 'Baton simulated node',
        containerRuntimeVersion: 'sim://1.0.0',
        kubeletVersion: 'v1.32.0-baton-sim',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
  return node;
}
