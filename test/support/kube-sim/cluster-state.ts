import { checkPodUpdate, ClusterIpAllocator, defaultMetadata, isDnsLabel, kindOf, now, prepareNamespace, preparePod, prepareService, validateMetadata } from './defaults';
import { EventRecorder } from './events';
import { Kubelet } from './kubelet';
import { buildNode, NODE_NOT_READY_TAINTS, readyCondition } from './nodes';
import { applyPatch } from './patch';
import { schedule } from './scheduler';
import { ApiError, alreadyExists, badRequest, conflict, invalid, notFound } from './status';
import { CLUSTER_SCOPED, ObjectStore, type KubeObject } from './store';
import type { SimKind, SimNodeSpec } from './types';

/**
 * Everything the simulated control plane does with objects: the API server's create,
 * update, patch and delete rules, graceful pod deletion, namespace termination, the
 * scheduler's loop, node readiness and the kubelet. HTTP lives in api-server.ts.
 */

export interface StateOptions {
  images: (image: string) => boolean;
  daqApp: string;
  startDelayMs: number;
}

export class ClusterState {
  readonly store = new ObjectStore();
  readonly kubelet: Kubelet;
  private readonly events = new EventRecorder(this.store);
  /** Records an Event (see EventRecorder.record). */
  readonly event: EventRecorder['record'] = (...args) => this.events.record(...args);
  private readonly clusterIps = new ClusterIpAllocator();
  private readonly nodeIps = new Map<string, string>();
  private nodeCount = 0;
  /** Nodes get 127.N.x.y, N random in 100..199 per cluster (see the pod address pool). */
  private readonly nodeBlock = 100 + Math.floor(Math.random() * 100);
  private scheduleQueued = false;
  private hasPending = false;
  private stopped = false;
  private readonly lastUnschedulable = new Map<string, string>();

  constructor(private readonly opts: StateOptions) {
    this.kubelet = new Kubelet({
      store: this.store,
      event: (pod, type, reason, message, fieldPath) => this.event(pod, type, reason, message, 'kubelet', pod.spec?.nodeName, fieldPath),
      nodeIP: (node) => this.nodeIps.get(node) ?? '127.0.0.1',
      nodeReady: (node) => this.isNodeReady(node),
      pullable: (image) => this.opts.images(image),
      daqApp: opts.daqApp,
      startDelayMs: opts.startDelayMs,
    });
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) this.create('namespaces', undefined, { metadata: { name: ns } });
    this.store.subscribe((e) => {
      if (this.stopped) return;
      if (e.kind === 'pods' && e.type === 'ADDED') this.scheduleSoon();
      else if (this.hasPending && (e.kind === 'nodes' || (e.kind === 'pods' && (e.type === 'DELETED' || this.becameTerminal(e.previous, e.object))))) this.scheduleSoon();
    });
  }

  private becameTerminal(prev: KubeObject | undefined, next: KubeObject): boolean {
    const t = (p: KubeObject | undefined): boolean => p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed';
    return !t(prev) && t(next);
  }

  // ---- nodes -------------------------------------------------------------------------

  addNode(spec: SimNodeSpec): KubeObject {
    if (!isDnsLabel(spec.name) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(spec.name)) throw new Error(`invalid node name "${spec.name}"`);
    if (this.store.get('nodes', undefined, spec.name)) throw new Error(`node "${spec.name}" already exists`);
    const i = ++this.nodeCount;
    const ip = `127.${this.nodeBlock}.${i >> 8}.${i & 255}`;
    this.nodeIps.set(spec.name, ip);
    return this.store.create('nodes', buildNode(spec, ip));
  }

  isNodeReady(name: string): boolean {
    const node = this.store.get('nodes', undefined, name);
    return (node?.status?.conditions ?? []).some((c: KubeObject) => c.type === 'Ready' && c.status === 'True');
  }

  setNodeReady(name: string, ready: boolean): void {
    if (!this.store.get('nodes', undefined, name)) throw new Error(`node "${name}" not found`);
    if (this.isNodeReady(name) === ready) return;
    this.store.modify('nodes', undefined, name, (node) => {
      const t = now();
      node.status.conditions = node.status.conditions.map((c: KubeObject) => (c.type === 'Ready' ? readyCondition(ready, t) : c));
      const others = (node.spec.taints ?? []).filter((x: KubeObject) => x.key !== 'node.kubernetes.io/not-ready');
      const taints = ready ? others : [...others, ...NODE_NOT_READY_TAINTS.map((x) => ({ ...x, timeAdded: t }))];
      if (taints.length) node.spec.taints = taints;
      else delete node.spec.taints;
    });
    const node = this.store.get('nodes', undefined, name);
    this.event(node, 'Normal', ready ? 'NodeReady' : 'NodeNotReady', `Node ${name} status is now: ${ready ? 'NodeReady' : 'NodeNotReady'}`, ready ? 'kubelet' : 'node-controller', name);
    this.kubelet.nodeReadyChanged(name);
  }

  // ---- scheduler ---------------------------------------------------------------------

  scheduleSoon(): void {
    if (this.scheduleQueued || this.stopped) return;
    this.scheduleQueued = true;
    setImmediate(() => {
      this.scheduleQueued = false;
      if (!this.stopped) this.runScheduler();
    });
  }

  private runScheduler(): void {
    const nodes = this.store.list('nodes');
    const pods = this.store.list('pods');
    const pending = pods
      .filter((p) => !p.spec.nodeName && !p.metadata.deletionTimestamp && p.spec.schedulerName === 'default-scheduler')
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    let left = 0;
    for (const pod of pending) {
      const result = schedule(pod, nodes, pods);
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if ('node' in result) {
        this.lastUnschedulable.delete(key);
        const bound = this.store.modify('pods', pod.metadata.namespace, pod.metadata.name, (p) => {
          p.spec.nodeName = result.node;
          const t = now();
          p.status.conditions = [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: t }];
        });
        if (!bound) continue;
        pods[pods.findIndex((p) => p.metadata.uid === bound.metadata.uid)] = bound;
        this.event(bound, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${result.node}`, 'default-scheduler');
        this.kubelet.bind(bound);
      } else {
        left++;
        if (this.lastUnschedulable.get(key) === result.message) continue;
        this.lastUnschedulable.set(key, result.message);
        const updated = this.store.modify('pods', pod.metadata.namespace, pod.metadata.name, (p) => {
          p.status.conditions = [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: now(), reason: 'Unschedulable', message: result.message }];
        });
        if (updated) this.event(updated, 'Warning', 'FailedScheduling', result.message, 'default-scheduler');
      }
    }
    this.hasPending = left > 0;
  }

  // ---- API server rules --------------------------------------------------------------

  private requireNamespace(namespace: string, creating: boolean): void {
    const ns = this.store.get('namespaces', undefined, namespace);
    if (!ns) throw notFound('namespaces', namespace);
    if (creating && ns.metadata.deletionTimestamp)
      throw new ApiError({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `unable to create new content in namespace ${namespace} because it is being terminated`,
        reason: 'Forbidden',
        details: { name: namespace, kind: 'namespaces', causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] },
        code: 403,
      });
  }

  private checkKind(resource: string, body: KubeObject): void {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request is not an object');
    if (body.kind !== undefined && body.kind !== kindOf(resource)) throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${kindOf(resource)})`);
    if (body.apiVersion !== undefined && body.apiVersion !== 'v1') throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (v1)`);
  }

  create(resource: SimKind, namespace: string | undefined, input: KubeObject, dryRun = false): KubeObject {
    this.checkKind(resource, input);
    const body = structuredClone(input);
    if (!CLUSTER_SCOPED.has(resource)) {
      if (body.metadata?.namespace && body.metadata.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      this.requireNamespace(namespace as string, true);
    }
    defaultMetadata(resource, body, CLUSTER_SCOPED.has(resource) ? undefined : namespace);
    switch (resource) {
      case 'pods':
        preparePod(body);
        break;
      case 'services':
        if (this.store.get('services', namespace, body.metadata.name)) throw alreadyExists(resource, body.metadata.name);
        prepareService(body, this.clusterIps);
        break;
      case 'namespaces':
        prepareNamespace(body);
        break;
      case 'nodes':
        validateMetadata('nodes', body);
        if (this.store.get('nodes', undefined, body.metadata.name)) throw alreadyExists(resource, body.metadata.name);
        return this.addNode({ name: body.metadata.name, labels: body.metadata.labels, taints: body.spec?.taints, allocatable: body.status?.allocatable, unschedulable: body.spec?.unschedulable });
      case 'events':
        validateMetadata('events', body);
        break;
    }
    if (this.store.get(resource, namespace, body.metadata.name)) {
      if (resource === 'services') this.clusterIps.release(body.spec?.clusterIP);
      throw alreadyExists(resource, body.metadata.name);
    }
    if (dryRun) {
      if (resource === 'services') this.clusterIps.release(body.spec?.clusterIP);
      return body;
    }
    const stored = this.store.create(resource, body);
    // A pod created with spec.nodeName bypasses the scheduler: that node's kubelet runs it.
    if (resource === 'pods' && stored.spec.nodeName && this.store.get('nodes', undefined, stored.spec.nodeName)) this.kubelet.bind(stored);
    return stored;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(resource, namespace, name);
    if (!obj) throw notFound(resource, name);
    return obj;
  }

  /** PUT (subresource '' or 'status') or the result of a PATCH. */
  update(resource: SimKind, namespace: string | undefined, name: string, input: KubeObject, subresource: string, dryRun = false): KubeObject {
    this.checkKind(resource, input);
    const current = this.get(resource, namespace, name);
    const body = structuredClone(input);
    const md = body.metadata ?? {};
    if (md.name !== undefined && md.name !== name) throw badRequest(`the name of the object (${md.name}) does not match the name on the URL (${name})`);
    if (md.resourceVersion !== undefined && md.resourceVersion !== '' && md.resourceVersion !== current.metadata.resourceVersion) throw conflict(resource, name);
    if (md.uid !== undefined && md.uid !== current.metadata.uid) throw conflict(resource, name);
    let next: KubeObject;
    if (subresource === 'status') {
      next = { ...current, status: body.status };
    } else {
      next = {
        ...body,
        apiVersion: 'v1',
        kind: kindOf(resource),
        metadata: {
          ...md,
          name,
          ...(current.metadata.namespace ? { namespace: current.metadata.namespace } : {}),
          uid: current.metadata.uid,
          creationTimestamp: current.metadata.creationTimestamp,
          ...(current.metadata.generation !== undefined ? { generation: current.metadata.generation } : {}),
          ...(current.metadata.deletionTimestamp ? { deletionTimestamp: current.metadata.deletionTimestamp, deletionGracePeriodSeconds: current.metadata.deletionGracePeriodSeconds } : {}),
        },
        status: current.status,
      };
      if (resource !== 'events') validateMetadata(resource, next);
      if (resource === 'pods') checkPodUpdate(current, next);
      if (resource === 'services') {
        next.spec = { ...next.spec };
        if (next.spec.type !== 'ExternalName') {
          next.spec.clusterIP ??= current.spec.clusterIP;
          next.spec.clusterIPs ??= current.spec.clusterIPs;
          if (next.spec.clusterIP !== current.spec.clusterIP)
            throw invalid('Service', name, [{ field: 'spec.clusterIPs[0]', message: `Invalid value: []string{"${next.spec.clusterIP}"}: may not change once set`, reason: 'FieldValueInvalid' }]);
        }
        for (const p of next.spec.ports ?? []) {
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
        }
      }
      if (resource === 'namespaces') {
        next.spec = current.spec;
        next.metadata.labels = { ...(next.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
      }
      if (resource === 'pods') next.spec.nodeName = current.spec.nodeName;
      if (JSON.stringify(next.spec) !== JSON.stringify(current.spec) && next.metadata.generation !== undefined) next.metadata.generation++;
    }
    if (dryRun) return next;
    return this.store.replace(resource, next);
  }

  patch(resource: SimKind, namespace: string | undefined, name: string, contentType: string, patch: unknown, subresource: string, dryRun = false): KubeObject {
    const current = this.get(resource, namespace, name);
    const next = applyPatch(contentType, structuredClone(current), patch);
    if (!next || typeof next !== 'object') throw badRequest('the patch did not produce an object');
    // A resourceVersion in the patch is a precondition; otherwise the patch applies to the latest.
    const wanted = (patch as KubeObject)?.metadata?.resourceVersion;
    next.metadata = { ...next.metadata, resourceVersion: wanted ?? current.metadata.resourceVersion };
    return this.update(resource, namespace, name, next, subresource, dryRun);
  }

  /** DELETE of one object; returns what the API server returns (the object, maybe with a deletionTimestamp). */
  delete(resource: SimKind, namespace: string | undefined, name: string, opts: { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } }): KubeObject {
    const current = this.get(resource, namespace, name);
    const pre = opts.preconditions ?? {};
    if ((pre.uid && pre.uid !== current.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion)) throw conflict(resource, name);
    switch (resource) {
      case 'pods':
        return this.deletePod(current, opts.gracePeriodSeconds);
      case 'namespaces':
        return this.deleteNamespace(current);
      case 'services': {
        const gone = this.store.remove('services', namespace, name);
        this.clusterIps.release(current.spec?.clusterIP);
        return gone;
      }
      default:
        return this.store.remove(resource, namespace, name);
    }
  }

  private deletePod(pod: KubeObject, grace: number | undefined): KubeObject {
    const { namespace, name } = pod.metadata;
    const g = Math.max(0, grace ?? pod.spec.terminationGracePeriodSeconds ?? 30);
    const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!pod.spec.nodeName || terminal || !this.kubelet.has(namespace, name)) {
      const gone = this.store.remove('pods', namespace, name);
      this.kubelet.forget(namespace, name);
      this.namespaceMayFinish(namespace);
      return gone;
    }
    const remaining = pod.metadata.deletionTimestamp ? Math.max(0, (Date.parse(pod.metadata.deletionTimestamp) - Date.now()) / 1000) : Infinity;
    if (g >= remaining) return pod;
    const updated = this.store.modify('pods', namespace, name, (p) => {
      p.metadata.deletionTimestamp = new Date(Date.now() + g * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      p.metadata.deletionGracePeriodSeconds = g;
    });
    const uid = pod.metadata.uid;
    void this.kubelet.terminate(namespace, name, g).then(() => {
      const still = this.store.get('pods', namespace, name);
      if (still && still.metadata.uid === uid && !this.stopped) {
        this.store.remove('pods', namespace, name);
        this.kubelet.forget(namespace, name);
        this.namespaceMayFinish(namespace);
      }
    });
    return updated;
  }

  private deleteNamespace(ns: KubeObject): KubeObject {
    const name = ns.metadata.name;
    const updated = ns.metadata.deletionTimestamp
      ? ns
      : this.store.modify('namespaces', undefined, name, (n) => {
          n.metadata.deletionTimestamp = now();
          n.status = { phase: 'Terminating' };
        });
    for (const pod of this.store.list('pods', name)) if (!pod.metadata.deletionTimestamp) this.deletePod(pod, undefined);
    for (const svc of this.store.list('services', name)) {
      this.store.remove('services', name, svc.metadata.name);
      this.clusterIps.release(svc.spec?.clusterIP);
    }
    this.namespaceMayFinish(name);
    return updated;
  }

  private namespaceMayFinish(name: string): void {
    setImmediate(() => {
      const ns = this.store.get('namespaces', undefined, name);
      if (!ns?.metadata.deletionTimestamp || this.stopped) return;
      if (this.store.list('pods', name).length || this.store.list('services', name).length) return;
      for (const e of this.store.list('events', name)) this.store.remove('events', name, e.metadata.name);
      this.store.remove('namespaces', undefined, name);
    });
  }

  evict(namespace: string, name: string, message: string): void {
    this.get('pods', namespace, name);
    if (!this.kubelet.evict(namespace, name, message)) {
      this.store.modify('pods', namespace, name, (p) => {
        p.status = { ...p.status, phase: 'Failed', reason: 'Evicted', message };
      });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.events.stopped = true;
    await this.kubelet.stopAll();
  }
}
