import { randomUUID } from 'node:crypto';
import { now } from './defaults';
import type { KubeObject, ObjectStore } from './store';

/**
 * Events as the components' event recorders write them: one object per distinct event,
 * repeats counted (count, lastTimestamp), names that sort in time order.
 */
export class EventRecorder {
  private readonly keys = new Map<string, { namespace: string; name: string }>();
  private seq = 0;
  stopped = false;

  constructor(private readonly store: ObjectStore) {}

  /** Records an Event about `obj`; nothing once stopped or when its namespace is gone or terminating. */
  record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string, host?: string, fieldPath?: string): void {
    if (this.stopped || !obj) return;
    const namespace = obj.metadata.namespace ?? 'default';
    const key = `${obj.metadata.uid}|${type}|${reason}|${message}|${fieldPath ?? ''}|${component}`;
    const t = now();
    const seen = this.keys.get(key);
    if (
      seen &&
      this.store.modify('events', seen.namespace, seen.name, (e) => {
        e.count = (e.count ?? 1) + 1;
        e.lastTimestamp = t;
      })
    )
      return;
    const ns = this.store.get('namespaces', undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    // Like the event recorder: name suffix from the time in hex, so names sort in time order.
    const name = `${obj.metadata.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(++this.seq % 1_000_000)).toString(16)}`;
    this.keys.set(key, { namespace, name });
    this.store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, uid: randomUUID(), creationTimestamp: t },
      involvedObject: {
        kind: obj.kind,
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        apiVersion: 'v1',
        resourceVersion: obj.metadata.resourceVersion,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      source: { component, ...(host ? { host } : {}) },
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: host ?? '',
    });
  }
}
