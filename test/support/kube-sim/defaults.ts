import { randomBytes, randomUUID } from 'node:crypto';
import { invalid, type FieldCause } from './status';
import type { KubeObject } from './store';

/** What the API server adds to objects on create, and the validation Baton can hit. */

export const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && LABEL.test(name);
}

function checkName(causes: FieldCause[], field: string, value: string, kind: 'subdomain' | 'label' | 'dns1035'): void {
  const [re, msg, max] = kind === 'subdomain' ? [SUBDOMAIN, SUBDOMAIN_MSG, 253] : kind === 'label' ? [LABEL, LABEL_MSG, 63] : [DNS1035, DNS1035_MSG, 63];
  if (value.length > max) causes.push({ field, message: `Invalid value: "${value}": must be no more than ${max} characters`, reason: 'FieldValueTooLong' });
  else if (!re.test(value)) causes.push({ field, message: `Invalid value: "${value}": ${msg}` });
}

function checkLabels(causes: FieldCause[], labels: unknown): void {
  if (labels === undefined || labels === null) return;
  if (typeof labels !== 'object') {
    causes.push({ field: 'metadata.labels', message: 'Invalid value: must be a map of strings' });
    return;
  }
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    if (!QUALIFIED_NAME.test(k)) causes.push({ field: 'metadata.labels', message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character` });
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v))
      causes.push({ field: 'metadata.labels', message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character` });
  }
}

const KIND_OF: Record<string, string> = { pods: 'Pod', services: 'Service', namespaces: 'Namespace', nodes: 'Node', events: 'Event' };

export function kindOf(resource: string): string {
  return KIND_OF[resource] ?? resource;
}

/** Fills name from generateName and the metadata every stored object has. */
export function defaultMetadata(resource: string, obj: KubeObject, namespace: string | undefined): void {
  const md = (obj.metadata ??= {});
  if (!md.name && md.generateName) md.name = `${md.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`;
  if (namespace !== undefined) md.namespace = namespace;
  else delete md.namespace;
  md.uid = randomUUID();
  md.creationTimestamp = now();
  if (resource !== 'events' && resource !== 'namespaces' && resource !== 'nodes') md.generation = 1;
  delete md.deletionTimestamp;
  delete md.deletionGracePeriodSeconds;
  obj.apiVersion = 'v1';
  obj.kind = kindOf(resource);
}

export function validateMetadata(resource: string, obj: KubeObject): void {
  const causes: FieldCause[] = [];
  const name: unknown = obj.metadata?.name;
  if (typeof name !== 'string' || name === '') {
    causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' });
  } else {
    checkName(causes, 'metadata.name', name, resource === 'namespaces' ? 'label' : resource === 'services' ? 'dns1035' : 'subdomain');
  }
  checkLabels(causes, obj.metadata?.labels);
  if (causes.length) throw invalid(kindOf(resource), typeof name === 'string' ? name : '', causes);
}

function imagePullPolicy(image: string): string {
  const last = image.split('/').pop() ?? image;
  if (image.includes('@')) return 'IfNotPresent';
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function validateContainers(causes: FieldCause[], containers: unknown, path: string, required: boolean): void {
  if (!Array.isArray(containers) || containers.length === 0) {
    if (required) causes.push({ field: path, message: 'Required value', reason: 'FieldValueRequired' });
    return;
  }
  const seen = new Set<string>();
  containers.forEach((c: KubeObject, i: number) => {
    const at = `${path}[${i}]`;
    if (!c || typeof c !== 'object') {
      causes.push({ field: at, message: 'Invalid value: must be an object' });
      return;
    }
    if (typeof c.name !== 'string' || c.name === '') causes.push({ field: `${at}.name`, message: 'Required value', reason: 'FieldValueRequired' });
    else {
      checkName(causes, `${at}.name`, c.name, 'label');
      if (seen.has(c.name)) causes.push({ field: `${at}.name`, message: `Duplicate value: "${c.name}"`, reason: 'FieldValueDuplicate' });
      seen.add(c.name);
    }
    if (typeof c.image !== 'string' || c.image.trim() === '') causes.push({ field: `${at}.image`, message: 'Required value', reason: 'FieldValueRequired' });
    for (const key of ['command', 'args'] as const) {
      if (c[key] !== undefined && (!Array.isArray(c[key]) || c[key].some((a: unknown) => typeof a !== 'string')))
        causes.push({ field: `${at}.${key}`, message: 'Invalid value: must be a list of strings' });
    }
    (Array.isArray(c.env) ? c.env : []).forEach((e: KubeObject, j: number) => {
      if (!e || typeof e.name !== 'string' || e.name === '') causes.push({ field: `${at}.env[${j}].name`, message: 'Required value', reason: 'FieldValueRequired' });
    });
    (Array.isArray(c.ports) ? c.ports : []).forEach((p: KubeObject, j: number) => {
      if (!Number.isInteger(p?.containerPort) || p.containerPort < 1 || p.containerPort > 65535)
        causes.push({ field: `${at}.ports[${j}].containerPort`, message: `Invalid value: ${JSON.stringify(p?.containerPort)}: must be between 1 and 65535, inclusive` });
    });
  });
}

function defaultContainer(c: KubeObject): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= imagePullPolicy(c.image);
  c.resources ??= {};
  // Like the API server: limits without requests make requests equal to the limits.
  if (c.resources.limits) c.resources.requests = { ...c.resources.limits, ...(c.resources.requests ?? {}) };
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
}

function qosClass(containers: KubeObject[]): string {
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) if (lim[r] === undefined || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
  }
  return !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
}

export function preparePod(pod: KubeObject): void {
  validateMetadata('pods', pod);
  const causes: FieldCause[] = [];
  const spec = pod.spec;
  if (!spec || typeof spec !== 'object') causes.push({ field: 'spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
  else {
    validateContainers(causes, spec.containers, 'spec.containers', true);
    validateContainers(causes, spec.initContainers, 'spec.initContainers', false);
    if (spec.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy))
      causes.push({ field: 'spec.restartPolicy', message: `Unsupported value: "${spec.restartPolicy}": supported values: "Always", "OnFailure", "Never"`, reason: 'FieldValueNotSupported' });
    if (spec.nodeSelector !== undefined && (typeof spec.nodeSelector !== 'object' || Object.values(spec.nodeSelector).some((v) => typeof v !== 'string')))
      causes.push({ field: 'spec.nodeSelector', message: 'Invalid value: must be a map of strings' });
  }
  if (causes.length) throw invalid('Pod', pod.metadata.name, causes);

  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  // The DefaultTolerationSeconds admission plugin's tolerations.
  const tolerations: KubeObject[] = (spec.tolerations ??= []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'])
    if (!tolerations.some((t) => t.key === key && t.effect === 'NoExecute')) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  for (const c of spec.containers) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  pod.status = { phase: 'Pending', qosClass: qosClass(spec.containers) };
}

/** The fields of a pod's spec that an update may change. */
export function checkPodUpdate(old: KubeObject, next: KubeObject): void {
  const strip = (spec: KubeObject): string =>
    JSON.stringify({
      ...spec,
      containers: (spec.containers ?? []).map((c: KubeObject) => ({ ...c, image: undefined })),
      initContainers: (spec.initContainers ?? []).map((c: KubeObject) => ({ ...c, image: undefined })),
      activeDeadlineSeconds: undefined,
      tolerations: undefined,
      nodeName: undefined,
    });
  if (strip(old.spec) !== strip(next.spec)) {
    throw invalid('Pod', old.metadata.name, [
      {
        field: 'spec',
        reason: 'FieldValueForbidden',
        message:
          'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      },
    ]);
  }
}

export class ClusterIpAllocator {
  private next = 10;
  private readonly used = new Set<string>();
  allocate(): string {
    for (;;) {
      const n = this.next++;
      const ip = `10.96.${(n >> 8) & 255}.${n & 255}`;
      if ((n & 255) !== 0 && (n & 255) !== 255 && !this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
  }
  release(ip: string | undefined): void {
    if (ip) this.used.delete(ip);
  }
  reserve(ip: string): boolean {
    if (this.used.has(ip)) return false;
    this.used.add(ip);
    return true;
  }
}

export function prepareService(svc: KubeObject, ips: ClusterIpAllocator): void {
  validateMetadata('services', svc);
  const causes: FieldCause[] = [];
  const spec = (svc.spec ??= {});
  const type = (spec.type ??= 'ClusterIP');
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(type))
    causes.push({ field: 'spec.type', message: `Unsupported value: "${type}": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`, reason: 'FieldValueNotSupported' });
  const ports: KubeObject[] = Array.isArray(spec.ports) ? spec.ports : [];
  if (type !== 'ExternalName' && ports.length === 0 && spec.clusterIP !== 'None') causes.push({ field: 'spec.ports', message: 'Required value', reason: 'FieldValueRequired' });
  ports.forEach((p, i) => {
    if (!Number.isInteger(p?.port) || p.port < 1 || p.port > 65535) causes.push({ field: `spec.ports[${i}].port`, message: `Invalid value: ${JSON.stringify(p?.port)}: must be between 1 and 65535, inclusive` });
    if (ports.length > 1 && !p?.name) causes.push({ field: `spec.ports[${i}].name`, message: 'Required value', reason: 'FieldValueRequired' });
  });
  if (spec.clusterIP && spec.clusterIP !== 'None' && !ips.reserve(spec.clusterIP))
    causes.push({ field: 'spec.clusterIPs', message: `Invalid value: []string{"${spec.clusterIP}"}: failed to allocate IP ${spec.clusterIP}: provided IP is already allocated` });
  if (causes.length) throw invalid('Service', svc.metadata.name, causes);
  for (const p of ports) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  if (type !== 'ExternalName') {
    spec.clusterIP ??= ips.allocate();
    spec.clusterIPs = [spec.clusterIP];
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  spec.sessionAffinity ??= 'None';
  svc.status = { loadBalancer: {} };
}

export function prepareNamespace(ns: KubeObject): void {
  validateMetadata('namespaces', ns);
  ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name };
  ns.spec = { finalizers: ['kubernetes'] };
  ns.status = { phase: 'Active' };
}
