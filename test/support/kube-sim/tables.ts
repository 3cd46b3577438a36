import { podReadyText, podStatusText } from '../../../src/core/backends/kubernetes/pod-status';
import type { KubeObject } from './store';

/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the
 * columns and cells the real API server sends kubectl for the kinds the simulator serves.
 * Priority-1 columns are the ones `-o wide` adds.
 */

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, type = 'string', priority = 0, format = ''): Column => ({ name, type, format, description: name, priority });

/** k8s.io/apimachinery duration.HumanDuration, which every AGE column uses. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  const days = Math.floor(hours / 24) % 365;
  if (hours < 24 * 365 * 8) return days === 0 ? `${years}y` : `${years}y${days}d`;
  return `${years}y`;
}

const age = (ts: string | undefined): string => (ts ? humanDuration(Date.now() - Date.parse(ts)) : '<unknown>');

function podRow(p: KubeObject): unknown[] {
  let restarts = 0;
  let lastRestart: string | undefined;
  for (const c of p.status?.containerStatuses ?? []) {
    restarts += c.restartCount ?? 0;
    const t = c.lastState?.terminated?.finishedAt;
    if (t && (!lastRestart || t > lastRestart)) lastRestart = t;
  }
  const gates = p.spec?.readinessGates?.length
    ? `${(p.status?.conditions ?? []).filter((c: KubeObject) => p.spec.readinessGates.some((g: KubeObject) => g.conditionType === c.type) && c.status === 'True').length}/${p.spec.readinessGates.length}`
    : '<none>';
  return [
    p.metadata.name,
    podReadyText(p),
    podStatusText(p),
    restarts && lastRestart ? `${restarts} (${age(lastRestart)} ago)` : String(restarts),
    age(p.metadata.creationTimestamp),
    p.status?.podIP || '<none>',
    p.spec?.nodeName || '<none>',
    p.status?.nominatedNodeName || '<none>',
    gates,
  ];
}

function nodeRoles(labels: Record<string, string>): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function nodeRow(n: KubeObject): unknown[] {
  const ready = (n.status?.conditions ?? []).find((c: KubeObject) => c.type === 'Ready');
  const states = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
  if (n.spec?.unschedulable) states.push('SchedulingDisabled');
  const addr = (type: string): string => (n.status?.addresses ?? []).find((a: KubeObject) => a.type === type)?.address ?? '<none>';
  const info = n.status?.nodeInfo ?? {};
  return [
    n.metadata.name,
    states.join(','),
    nodeRoles(n.metadata.labels ?? {}),
    age(n.metadata.creationTimestamp),
    info.kubeletVersion ?? '',
    addr('InternalIP'),
    addr('ExternalIP'),
    info.osImage ?? '<unknown>',
    info.kernelVersion ?? '<unknown>',
    info.containerRuntimeVersion ?? '<unknown>',
  ];
}

function serviceRow(s: KubeObject): unknown[] {
  const ports = (s.spec?.ports ?? []).map((p: KubeObject) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
  const selector = Object.entries(s.spec?.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const external = s.spec?.externalIPs?.length ? s.spec.externalIPs.join(',') : s.spec?.type === 'ExternalName' ? s.spec.externalName : '<none>';
  return [s.metadata.name, s.spec?.type ?? 'ClusterIP', s.spec?.clusterIP || '<none>', external, ports || '<none>', age(s.metadata.creationTimestamp), selector || '<none>'];
}

function eventRow(e: KubeObject): unknown[] {
  const last = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  const first = e.firstTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  const obj = `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`;
  return [
    age(last),
    e.type ?? '',
    e.reason ?? '',
    obj,
    e.involvedObject?.fieldPath ?? '',
    e.source?.component ? `${e.source.component}${e.source.host ? `, ${e.source.host}` : ''}` : (e.reportingComponent ?? ''),
    e.message ?? '',
    age(first),
    e.count ?? 1,
    e.metadata.name,
  ];
}

const TABLES: Record<string, { columns: Column[]; row: (o: KubeObject) => unknown[] }> = {
  pods: {
    columns: [col('Name', 'string', 0, 'name'), col('Ready'), col('Status'), col('Restarts'), col('Age'), col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    row: podRow,
  },
  nodes: {
    columns: [col('Name', 'string', 0, 'name'), col('Status'), col('Roles'), col('Age'), col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    row: nodeRow,
  },
  namespaces: { columns: [col('Name', 'string', 0, 'name'), col('Status'), col('Age')], row: (n) => [n.metadata.name, n.status?.phase ?? '', age(n.metadata.creationTimestamp)] },
  services: {
    columns: [col('Name', 'string', 0, 'name'), col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), col('Age'), col('Selector', 'string', 1)],
    row: serviceRow,
  },
  events: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 'string', 1), col('Source', 'string', 1), col('Message'), col('First Seen', 'string', 1), col('Count', 'integer', 1), col('Name', 'string', 1)],
    row: eventRow,
  },
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(o: KubeObject, include: IncludeObject): KubeObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(kind: string, objects: KubeObject[], include: IncludeObject, meta: Record<string, unknown>, withColumns = true): KubeObject {
  const t = TABLES[kind];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    ...(withColumns ? { columnDefinitions: t.columns } : {}),
    rows: objects.map((o) => {
      const object = rowObject(o, include);
      return { cells: t.row(o), ...(object ? { object } : {}) };
    }),
  };
}

export function hasTable(kind: string): boolean {
  return kind in TABLES;
}
