import type { ServerResponse } from 'node:http';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelRequirement } from './selectors';
import { gone } from './status';
import type { KubeObject, ObjectStore, StoreEvent } from './store';

/**
 * One watch stream: chunked JSON lines `{"type":..., "object":...}` from a
 * resourceVersion, with the selector semantics of the real API server (an object that
 * stops matching is DELETED for the watcher, one that starts matching is ADDED).
 */

export interface WatchRequest {
  kind: string;
  namespace?: string;
  name?: string;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  resourceVersion?: string;
  timeoutSeconds?: number;
  sendInitialEvents: boolean;
  /** Turns an object into what the client asked for (e.g. a one-row Table). */
  render: (obj: KubeObject, first: boolean) => unknown;
}

export class WatchRegistry {
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly store: ObjectStore) {}

  get size(): number {
    return this.open.size;
  }

  /** Ends every open watch stream (the clients see a normal end of stream). */
  dropAll(): void {
    for (const res of [...this.open]) res.end();
    this.open.clear();
  }

  serve(res: ServerResponse, w: WatchRequest): void {
    const matches = (o: KubeObject | undefined): boolean =>
      o !== undefined &&
      o.metadata &&
      (w.namespace === undefined || o.metadata.namespace === w.namespace || w.kind === 'namespaces' || w.kind === 'nodes') &&
      (w.name === undefined || o.metadata.name === w.name) &&
      matchesLabels(w.labels, o.metadata.labels) &&
      matchesFields(w.fields, o);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    let first = true;
    const send = (type: string, object: KubeObject): void => {
      // A dropped stream stays subscribed until its 'finish' event; nothing may be written in between.
      if (res.writableEnded) return;
      res.write(`${JSON.stringify({ type, object: type === 'ERROR' || type === 'BOOKMARK' ? object : w.render(object, first) })}\n`);
      if (type !== 'ERROR' && type !== 'BOOKMARK') first = false;
    };
    const deliver = (e: StoreEvent): void => {
      if (e.kind !== w.kind) return;
      const now = matches(e.object);
      if (e.type === 'MODIFIED') {
        const before = matches(e.previous);
        if (now && before) send('MODIFIED', e.object);
        else if (now) send('ADDED', e.object);
        else if (before) send('DELETED', e.object);
      } else if (now) send(e.type, e.object);
    };

    const rv = w.resourceVersion;
    if (rv === undefined || rv === '' || rv === '0' || w.sendInitialEvents) {
      for (const o of this.store.list(w.kind, w.kind === 'nodes' || w.kind === 'namespaces' ? undefined : w.namespace)) if (matches(o)) send('ADDED', o);
      if (w.sendInitialEvents)
        send('BOOKMARK', { kind: kindName(w.kind), apiVersion: 'v1', metadata: { resourceVersion: String(this.store.resourceVersion), annotations: { 'k8s.io/initial-events-end': 'true' } } });
    } else {
      const n = Number(rv);
      const replay = Number.isFinite(n) ? this.store.since(n) : 'gone';
      if (replay === 'gone') {
        send('ERROR', gone(Number.isFinite(n) ? n : 0, this.store.oldest));
        res.end();
        return;
      }
      for (const e of replay) deliver(e);
    }
    const unsubscribe = this.store.subscribe(deliver);
    this.open.add(res);
    const timer = w.timeoutSeconds !== undefined ? setTimeout(() => res.end(), w.timeoutSeconds * 1000) : undefined;
    const cleanup = (): void => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      this.open.delete(res);
    };
    res.once('close', cleanup);
    res.once('finish', cleanup);
  }
}

function kindName(resource: string): string {
  return { pods: 'Pod', services: 'Service', namespaces: 'Namespace', nodes: 'Node', events: 'Event' }[resource] ?? resource;
}
