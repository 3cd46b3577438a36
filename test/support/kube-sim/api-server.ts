import * as http from 'node:http';
import type { Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { ClusterState } from './cluster-state';
import { API_GROUPS, apiVersions, CORE_V1, VERSION } from './discovery';
import type { RequestFaults } from './faults';
import { OPENAPI_V3_CORE, OPENAPI_V3_INDEX, strictFieldCheck } from './openapi';
import { LogBuffer } from './log-buffer';
import { parseFieldSelector, parseLabelSelector, matchesFields, matchesLabels, SelectorError } from './selectors';
import { ApiError, badRequest, forbidden, methodNotAllowed, notFound, statusOk } from './status';
import { CLUSTER_SCOPED, type KubeObject } from './store';
import { kindOf } from './defaults';
import { hasTable, toTable, type IncludeObject } from './tables';
import type { SimKind } from './types';
import { WatchRegistry } from './watch';

/**
 * The HTTP face of the simulated cluster: the Kubernetes REST paths for the core/v1
 * resources it serves, discovery, content negotiation (plain JSON, server-side Tables,
 * PartialObjectMetadata), Status error bodies, bearer-token users, request counting and
 * the per-request faults. Binds to 127.0.0.1 only.
 */

const RESOURCES = new Set<string>(['pods', 'services', 'namespaces', 'nodes', 'events']);
const LIST_KIND: Record<string, string> = { pods: 'PodList', services: 'ServiceList', namespaces: 'NamespaceList', nodes: 'NodeList', events: 'EventList' };
const MAX_BODY = 8 * 1024 * 1024;

const NO_SUCH_RESOURCE = (): ApiError =>
  new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 });

interface Route {
  namespace?: string;
  resource: SimKind;
  name?: string;
  subresource: string;
}

export interface Users {
  /** Bearer token -> user name; a request without a token is served as the admin. */
  byToken: Map<string, { name: string; forbidden: boolean }>;
  admin: string;
}

function parsePath(parts: string[]): Route | undefined {
  // parts after /api/v1
  if (parts[0] === 'namespaces' && parts.length >= 3 && !(parts.length === 3 && (parts[2] === 'status' || parts[2] === 'finalize'))) {
    const [, namespace, resource, name, sub, extra] = parts;
    if (!RESOURCES.has(resource) || CLUSTER_SCOPED.has(resource) || extra !== undefined) return undefined;
    return { namespace, resource: resource as SimKind, name, subresource: sub ?? '' };
  }
  const [resource, name, sub, extra] = parts;
  if (!RESOURCES.has(resource) || extra !== undefined) return undefined;
  return { resource: resource as SimKind, name, subresource: sub ?? '' };
}

/** The RBAC verb of a request, as the API server names it for authorization and audit. */
function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      return named ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function wantsTable(accept: string): boolean {
  return accept.split(',').some((a) => /;\s*as=Table/.test(a) && /;\s*g=meta\.k8s\.io/.test(a) && /;\s*v=v1(\b|;|$)/.test(a));
}

function wantsMetadata(accept: string): boolean {
  return accept.split(',').some((a) => /;\s*as=PartialObjectMetadata(List)?/.test(a) && /;\s*v=v1(\b|;|$)/.test(a));
}

function stripForList(o: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

export class ApiServer {
  readonly watches: WatchRegistry;
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private closed = false;
  private counts = new Map<string, number>();

  constructor(
    private readonly state: ClusterState,
    private readonly faults: RequestFaults,
    private readonly users: Users,
  ) {
    this.watches = new WatchRegistry(state.store);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  listen(port: number): Promise<void> {
    const server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((e: unknown) => this.fail(res, e));
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        this.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  /** Stops serving for good (a restart under way does not bring it back). */
  async close(): Promise<void> {
    this.closed = true;
    await this.closeListener();
  }

  private async closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.watches.dropAll();
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  async restart(downMs: number): Promise<void> {
    const port = this.port;
    await this.closeListener();
    await new Promise((r) => setTimeout(r, downMs));
    if (!this.closed) await this.listen(port);
  }

  readonly requests = {
    total: (): number => [...this.counts.values()].reduce((a, b) => a + b, 0),
    byKind: (): Record<string, number> => Object.fromEntries(this.counts),
    reset: (): void => {
      this.counts = new Map();
    },
  };

  private count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
    res.end(text);
  }

  private fail(res: http.ServerResponse, e: unknown): void {
    if (e instanceof ApiError) this.send(res, e.code, e.status);
    else if (e instanceof SelectorError) this.send(res, 400, badRequest(e.message).status);
    else {
      const message = e instanceof Error ? e.message : String(e);
      this.send(res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', code: 500 });
    }
  }

  private async readBody(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Request entity too large: limit is 3145728', reason: 'RequestEntityTooLarge', code: 413 });
      chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return undefined;
    const type = String(req.headers['content-type'] ?? 'application/json');
    // Protobuf bodies (kubectl's typed clients, e.g. `kubectl create namespace`) are not decoded here.
    if (type.includes('protobuf'))
      throw new ApiError({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `the simulated cluster accepts JSON and YAML bodies only (got ${type.split(';')[0]})`,
        reason: 'UnsupportedMediaType',
        code: 415,
      });
    try {
      return /yaml/.test(type) ? parseYaml(text) : JSON.parse(text);
    } catch (e) {
      throw badRequest(`the body of the request could not be decoded: ${(e as Error).message}`);
    }
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    const method = (req.method ?? 'GET').toUpperCase();
    const auth = String(req.headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    const user = token !== undefined ? this.users.byToken.get(token) : { name: this.users.admin, forbidden: false };
    if (!user) {
      this.count('unauthorized');
      this.send(res, 401, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      return;
    }
    const path = url.pathname.replace(/\/+$/, '');
    const parts = path.split('/').filter((p) => p !== '');

    // Non-resource paths: discovery, version, health.
    if (parts[0] !== 'api' || parts[1] !== 'v1' || parts.length === 2) {
      this.count(`get ${path || '/'}`);
      const wait = this.faults.delayFor('get', path);
      if (wait) await new Promise((r) => setTimeout(r, wait));
      if (user.forbidden && path !== '/version' && !path.startsWith('/api')) throw forbidden(user.name, 'get', path);
      switch (path) {
        case '/version':
          return this.send(res, 200, VERSION);
        case '/api':
          return this.send(res, 200, apiVersions(`127.0.0.1:${this.port}`));
        case '/api/v1':
          return this.send(res, 200, CORE_V1);
        case '/apis':
          return this.send(res, 200, API_GROUPS);
        case '/openapi/v3':
          return this.send(res, 200, OPENAPI_V3_INDEX);
        case '/openapi/v3/api/v1':
          return this.send(res, 200, OPENAPI_V3_CORE);
        case '/healthz':
        case '/readyz':
        case '/livez':
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.end('ok');
          return;
        default:
          throw NO_SUCH_RESOURCE();
      }
    }

    const route = parsePath(parts.slice(2));
    if (!route) throw NO_SUCH_RESOURCE();
    const { namespace, resource, name, subresource } = route;
    const watch = q.get('watch') === 'true' || q.get('watch') === '1';
    const verb = verbOf(method, name !== undefined, watch);
    const resourceKey = subresource ? `${resource}/${subresource}` : resource;
    this.count(`${verb} ${resourceKey}`);
    const wait = this.faults.delayFor(verb, resourceKey);
    if (wait) await new Promise((r) => setTimeout(r, wait));
    if (user.forbidden) throw forbidden(user.name, verb, resourceKey, namespace, name);
    const injected = this.faults.errorFor(verb, resourceKey, user.name, namespace, name);
    if (injected) throw injected;

    const accept = String(req.headers.accept ?? '');
    const dryRun = q.getAll('dryRun').includes('All');
    const ns = CLUSTER_SCOPED.has(resource) ? undefined : namespace;
    if (!CLUSTER_SCOPED.has(resource) && name && !namespace) throw notFound(resource, name);

    switch (verb) {
      case 'get': {
        if (subresource === 'log') return this.serveLog(req, res, namespace as string, name as string, q);
        if (subresource && subresource !== 'status') throw methodNotAllowed('GET');
        return this.sendObject(res, 200, resource, this.state.get(resource, ns, name as string), accept, q);
      }
      case 'list':
      case 'watch': {
        const labels = parseLabelSelector(q.get('labelSelector'));
        const fields = parseFieldSelector(q.get('fieldSelector'), resource);
        if (watch) {
          const table = wantsTable(accept) && hasTable(resource);
          const include = (q.get('includeObject') as IncludeObject | null) ?? 'Metadata';
          this.watches.serve(res, {
            kind: resource,
            namespace: ns,
            labels,
            fields,
            resourceVersion: q.get('resourceVersion') ?? undefined,
            timeoutSeconds: q.has('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : undefined,
            sendInitialEvents: q.get('sendInitialEvents') === 'true',
            render: (o, first) => (table ? toTable(resource, [o], include, { resourceVersion: o.metadata.resourceVersion }, first) : o),
          });
          return;
        }
        const all = this.state.store
          .list(resource, ns)
          .filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o))
          .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
        const rv = String(this.state.store.resourceVersion);
        let items = all;
        let cont: string | undefined;
        const limit = Number(q.get('limit') ?? 0);
        const start = q.get('continue') ? Number(Buffer.from(String(q.get('continue')), 'base64url').toString('utf8').split(':')[1] ?? 0) : 0;
        if (limit > 0 || start > 0) {
          items = all.slice(start, limit > 0 ? start + limit : undefined);
          if (limit > 0 && start + limit < all.length) cont = Buffer.from(`${rv}:${start + limit}`).toString('base64url');
        }
        const meta = { resourceVersion: rv, ...(cont ? { continue: cont, remainingItemCount: all.length - start - items.length } : {}) };
        if (wantsTable(accept) && hasTable(resource)) return this.send(res, 200, toTable(resource, items, (q.get('includeObject') as IncludeObject | null) ?? 'Metadata', meta));
        if (wantsMetadata(accept))
          return this.send(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta, items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })) });
        return this.send(res, 200, { kind: LIST_KIND[resource], apiVersion: 'v1', metadata: meta, items: items.map(stripForList) });
      }
      case 'create': {
        const body = (await this.readBody(req)) as KubeObject;
        if (subresource === 'eviction' && resource === 'pods') {
          this.state.delete('pods', ns, name as string, { gracePeriodSeconds: body?.deleteOptions?.gracePeriodSeconds });
          return this.send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
        }
        if (name || subresource) throw methodNotAllowed('POST');
        if (q.get('fieldValidation') === 'Strict') strictFieldCheck(kindOf(resource), body);
        return this.sendObject(res, 201, resource, this.state.create(resource, ns, body, dryRun), accept, q);
      }
      case 'update': {
        if (subresource && subresource !== 'status') throw methodNotAllowed('PUT');
        if (!name) throw methodNotAllowed('PUT');
        const body = (await this.readBody(req)) as KubeObject;
        if (q.get('fieldValidation') === 'Strict') strictFieldCheck(kindOf(resource), body);
        return this.sendObject(res, 200, resource, this.state.update(resource, ns, name, body, subresource, dryRun), accept, q);
      }
      case 'patch': {
        if ((subresource && subresource !== 'status') || !name) throw methodNotAllowed('PATCH');
        const body = await this.readBody(req);
        if (q.get('fieldValidation') === 'Strict' && !String(req.headers['content-type']).includes('json-patch')) strictFieldCheck(kindOf(resource), body);
        return this.sendObject(res, 200, resource, this.state.patch(resource, ns, name, String(req.headers['content-type'] ?? ''), body, subresource, dryRun), accept, q);
      }
      case 'delete': {
        if (subresource) throw methodNotAllowed('DELETE');
        const body = ((await this.readBody(req)) ?? {}) as KubeObject;
        const grace = q.has('gracePeriodSeconds') ? Number(q.get('gracePeriodSeconds')) : body.gracePeriodSeconds;
        const result = this.state.delete(resource, ns, name as string, { gracePeriodSeconds: grace, preconditions: body.preconditions });
        if (resource === 'services' || resource === 'events') return this.send(res, 200, statusOk({ name: name as string, kind: resource, uid: result?.metadata?.uid }));
        return this.sendObject(res, 200, resource, result, accept, q);
      }
      case 'deletecollection': {
        if (subresource || resource === 'namespaces') throw methodNotAllowed('DELETE');
        const body = ((await this.readBody(req)) ?? {}) as KubeObject;
        const labels = parseLabelSelector(q.get('labelSelector'));
        const fields = parseFieldSelector(q.get('fieldSelector'), resource);
        const grace = q.has('gracePeriodSeconds') ? Number(q.get('gracePeriodSeconds')) : body.gracePeriodSeconds;
        const items = this.state.store
          .list(resource, ns)
          .filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o))
          .map((o) => this.state.delete(resource, ns === undefined ? o.metadata.namespace : ns, o.metadata.name, { gracePeriodSeconds: grace }));
        return this.send(res, 200, { kind: LIST_KIND[resource], apiVersion: 'v1', metadata: { resourceVersion: String(this.state.store.resourceVersion) }, items: items.map(stripForList) });
      }
      default:
        throw methodNotAllowed(method);
    }
  }

  private sendObject(res: http.ServerResponse, code: number, resource: string, obj: KubeObject, accept: string, q: URLSearchParams): void {
    if (wantsTable(accept) && hasTable(resource)) return this.send(res, code, toTable(resource, [obj], (q.get('includeObject') as IncludeObject | null) ?? 'Metadata', { resourceVersion: obj.metadata.resourceVersion }));
    if (wantsMetadata(accept)) return this.send(res, code, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata });
    this.send(res, code, obj);
  }

  private serveLog(req: http.IncomingMessage, res: http.ServerResponse, namespace: string, name: string, q: URLSearchParams): void {
    const pod = this.state.get('pods', namespace, name);
    const container = q.get('container') ?? undefined;
    const log = pod.spec.nodeName
      ? this.state.kubelet.log(namespace, name, container, q.get('previous') === 'true')
      : `container "${container ?? pod.spec.containers[0].name}" in pod "${name}" is waiting to start: ContainerCreating`;
    if (!(log instanceof LogBuffer)) throw badRequest(log);
    const num = (k: string): number | undefined => (q.has(k) ? Number(q.get(k)) : undefined);
    const timestamps = q.get('timestamps') === 'true';
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.write(log.read({ tailLines: num('tailLines'), sinceSeconds: num('sinceSeconds'), sinceTime: q.get('sinceTime') ?? undefined, timestamps, limitBytes: num('limitBytes') }));
    if (q.get('follow') !== 'true') {
      res.end();
      return;
    }
    const stop = log.follow(
      (s) => res.write(s),
      () => res.end(),
      timestamps,
    );
    if (stop === false) {
      res.end();
      return;
    }
    req.once('close', stop);
    res.once('close', stop);
  }
}
