import type { SimKind } from './types';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type KubeObject = any;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  kind: SimKind;
  rv: number;
  object: KubeObject;
  /** The object before this change (MODIFIED), so a watch can tell an object entering or leaving its selector. */
  previous?: KubeObject;
}

export const CLUSTER_SCOPED: ReadonlySet<string> = new Set(['namespaces', 'nodes']);

const HISTORY_LIMIT = 20_000;

function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return CLUSTER_SCOPED.has(kind) ? name : `${namespace ?? ''}/${name}`;
}

/**
 * The cluster's objects, one global resourceVersion counter like etcd's revision, and the
 * recent history of changes that watches replay from. Stored objects are never mutated in
 * place: every change stores a new object, so history entries stay valid snapshots and
 * readers may hold on to what they got.
 */
export class ObjectStore {
  private revision = 1;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  /** A watch from a resourceVersion older than this gets 410 Gone. */
  private oldestWatchable = 1;
  private readonly subscribers = new Set<(e: StoreEvent) => void>();

  get resourceVersion(): number {
    return this.revision;
  }

  private table(kind: string): Map<string, KubeObject> {
    let t = this.objects.get(kind);
    if (!t) this.objects.set(kind, (t = new Map()));
    return t;
  }

  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(kind)?.get(keyOf(kind, namespace, name));
  }

  list(kind: string, namespace?: string): KubeObject[] {
    const all = [...(this.objects.get(kind)?.values() ?? [])];
    return namespace === undefined || CLUSTER_SCOPED.has(kind) ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  count(kind: string): number {
    return this.objects.get(kind)?.size ?? 0;
  }

  /** Stores a new object (the caller has checked it does not exist) and returns the stored copy. */
  create(kind: SimKind, object: KubeObject): KubeObject {
    const rv = ++this.revision;
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    this.table(kind).set(keyOf(kind, stored.metadata.namespace, stored.metadata.name), stored);
    this.emit({ type: 'ADDED', kind, rv, object: stored });
    return stored;
  }

  /** Replaces an existing object; returns the stored copy. */
  replace(kind: SimKind, object: KubeObject): KubeObject {
    const key = keyOf(kind, object.metadata.namespace, object.metadata.name);
    const previous = this.table(kind).get(key);
    if (!previous) throw new Error(`replace of a missing ${kind} ${key}`);
    const rv = ++this.revision;
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    this.table(kind).set(key, stored);
    this.emit({ type: 'MODIFIED', kind, rv, object: stored, previous });
    return stored;
  }

  /** Applies `change` to a copy of the object and stores it, unless `change` returns false. */
  modify(kind: SimKind, namespace: string | undefined, name: string, change: (copy: KubeObject) => boolean | void): KubeObject | undefined {
    const current = this.get(kind, namespace, name);
    if (!current) return undefined;
    const copy = structuredClone(current);
    if (change(copy) === false) return current;
    return this.replace(kind, copy);
  }

  remove(kind: SimKind, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = keyOf(kind, namespace, name);
    const previous = this.table(kind).get(key);
    if (!previous) return undefined;
    this.table(kind).delete(key);
    const rv = ++this.revision;
    const object = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(rv) } };
    this.emit({ type: 'DELETED', kind, rv, object });
    return object;
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT / 2);
      this.oldestWatchable = dropped[dropped.length - 1].rv;
    }
    for (const s of [...this.subscribers]) s(e);
  }

  /** Changes after `rv` that a watch must replay, or 'gone' when they are no longer kept. */
  since(rv: number): StoreEvent[] | 'gone' {
    if (rv < this.oldestWatchable) return 'gone';
    // history is ordered by rv: binary search the first event after rv
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid].rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  get oldest(): number {
    return this.oldestWatchable;
  }

  /** Forgets the history: a watch from any resourceVersion older than now gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.oldestWatchable = this.revision;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}
