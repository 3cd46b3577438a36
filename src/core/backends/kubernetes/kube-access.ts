import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kube, type CoreV1Api, type KubeConfig } from './client';
import type { Cluster, Context, User } from './client';

export interface KubeAccessOptions {
  /** A kubeconfig file or a ':'-separated list of them; else $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string;
  /** Context to use; else the kubeconfig's current context. */
  context?: string;
  /** Environment read for KUBECONFIG and HOME (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface KubeAccess {
  kc: KubeConfig;
  context: string;
  /** The context's namespace, if it names one. */
  namespace?: string;
  /** API server URL of the context's cluster. */
  server: string;
  /** Files the configuration was read from, first wins. */
  files: string[];
  /** A CoreV1 client for this context (a new one each call, so it follows the config). */
  core(): CoreV1Api;
}

/** A problem with the kubeconfig itself (missing, unreadable, unknown context). */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

/** A cluster refused or could not be reached; the message is one plain sentence. */
export class KubernetesError extends Error {
  override readonly name = 'KubernetesError';
}

/**
 * Reads the kubeconfig the way kubectl does, never writing it:
 * - an explicit `kubeconfig` wins, then `$KUBECONFIG` (several files separated by ':'),
 *   then `~/.kube/config`;
 * - in a list, files that do not exist are skipped, and for every cluster, user and
 *   context name and for `current-context` the FIRST file that sets it wins (client-node's
 *   own merge takes the last current-context and throws on duplicate names, so the
 *   merge is done here);
 * - relative certificate paths are resolved against the file that names them;
 * - exec and auth-provider users are left to client-node, which runs them per request;
 * - a plain http:// server is used as kubectl uses it (client-node alone would refuse it).
 */
export function loadKubeAccess(opts: KubeAccessOptions = {}): KubeAccess {
  const env = opts.env ?? process.env;
  const files = kubeconfigFiles(opts.kubeconfig, env);
  const existing = files.filter((f) => fs.existsSync(f));
  if (existing.length === 0) {
    const source = opts.kubeconfig !== undefined ? '--kubeconfig' : env.KUBECONFIG ? 'KUBECONFIG' : 'the default location';
    throw new KubeConfigError(`no kubeconfig found (${source}: ${files.join(path.delimiter) || '(none)'}); point KUBECONFIG or --kubeconfig at a cluster's configuration`);
  }
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let current: string | undefined;
  for (const file of existing) {
    const one = new (kube().KubeConfig)();
    try {
      one.loadFromFile(file);
    } catch (err) {
      throw new KubeConfigError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
    }
    for (const c of one.clusters ?? []) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of one.users ?? []) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of one.contexts ?? []) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!current && one.currentContext) current = one.currentContext;
  }
  const context = opts.context ?? current;
  const known = [...contexts.keys()];
  const list = known.length ? known.map((k) => `"${k}"`).join(', ') : '(none)';
  if (!context) throw new KubeConfigError(`no context selected: ${existing.join(path.delimiter)} has no current-context; choose one of ${list}`);
  const ctx = contexts.get(context);
  if (!ctx) throw new KubeConfigError(`unknown context "${context}" in ${existing.join(path.delimiter)}; known contexts: ${list}`);
  const cluster = clusters.get(ctx.cluster);
  if (!cluster) throw new KubeConfigError(`context "${context}" names cluster "${ctx.cluster}", which ${existing.join(path.delimiter)} does not define`);
  if (ctx.user && !users.has(ctx.user)) throw new KubeConfigError(`context "${context}" names user "${ctx.user}", which ${existing.join(path.delimiter)} does not define`);

  // kubectl talks plain http to an http:// server; client-node refuses unless TLS checks
  // are off, which for plain http they are anyway (only the in-memory copy is changed).
  for (const [name, c] of clusters) if (c.server.startsWith('http://') && !c.skipTLSVerify) clusters.set(name, { ...c, skipTLSVerify: true });
  const kc = new (kube().KubeConfig)();
  kc.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext: context });
  return {
    kc,
    context,
    namespace: ctx.namespace || undefined,
    server: cluster.server,
    files: existing,
    // Clients capture the current context when built, so build them after it is set.
    core: () => kc.makeApiClient(kube().CoreV1Api),
  };
}

/** The files kubectl would read, in order. */
export function kubeconfigFiles(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = explicit ?? (env.KUBECONFIG || undefined);
  if (raw !== undefined) return [...new Set(raw.split(path.delimiter).filter(Boolean).map((f) => path.resolve(expandHome(f, env))))];
  const home = env.HOME || os.homedir();
  return [path.join(home, '.kube', 'config')];
}

function expandHome(file: string, env: NodeJS.ProcessEnv): string {
  return file === '~' || file.startsWith('~/') ? path.join(env.HOME || os.homedir(), file.slice(1)) : file;
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string };
}

/**
 * One plain sentence for an error of the Kubernetes client, e.g.
 * `cannot reach cluster "sim" at https://127.0.0.1:6443: connection refused` or
 * `forbidden: User "x" cannot list resource "nodes" at the cluster scope`.
 * `what` says what was being done ("list nodes"), `access` names the cluster.
 */
export function describeKubeError(err: unknown, what: string, access?: Pick<KubeAccess, 'context' | 'server'>): string {
  const e = err as { code?: unknown; body?: unknown; statusCode?: number; type?: string; message?: string; cause?: unknown; name?: string };
  const where = access ? `cluster "${access.context}" at ${access.server}` : 'the cluster';
  const status = typeof e?.code === 'number' ? e.code : e?.statusCode;
  if (typeof status === 'number') {
    const body = parseStatus(e.body);
    const message = body?.message || (typeof e.body === 'string' && e.body.trim() && !e.body.trim().startsWith('{') ? e.body.trim() : undefined);
    switch (status) {
      case 401:
        return `${what}: unauthorized on ${where}: ${message ?? 'the credentials were refused'} (check the kubeconfig user)`;
      case 403: {
        // The API server's own sentence already starts with the resource, e.g. 'nodes is forbidden: User "x" cannot list ...'.
        const m = message ?? 'the user may not do this';
        const tail = m.replace(/^.*?\bis forbidden: /, '');
        return `forbidden: ${tail} (while trying to ${what})`;
      }
      case 404:
        return `${what}: not found${message ? ` (${message})` : ''}`;
      case 409:
        return `${what}: conflict${message ? ` (${message})` : ''}`;
      case 410:
        return `${what}: gone${message ? ` (${message})` : ''}`;
      case 422:
        return `${what}: refused as invalid: ${message ?? 'the object is not valid'}`;
      default:
        return `${what}: ${where} answered ${status}${message ? `: ${message}` : e.message ? `: ${e.message}` : ''}`;
    }
  }
  const code = networkCode(err);
  if (code) {
    const words: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ENOTFOUND: 'host not found',
      EAI_AGAIN: 'host name lookup failed',
      ETIMEDOUT: 'timed out',
      ECONNRESET: 'connection reset',
      EHOSTUNREACH: 'host unreachable',
      ENETUNREACH: 'network unreachable',
      EPIPE: 'connection closed',
      CERT_HAS_EXPIRED: 'its certificate has expired',
      DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed and not trusted',
      SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chain is not trusted',
      UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate cannot be verified',
      ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate does not name this host',
    };
    return `cannot reach ${where}: ${words[code] ?? code} (while trying to ${what})`;
  }
  if (e?.name === 'AbortError' || e?.type === 'aborted') return `${what}: aborted`;
  if (e?.type === 'request-timeout') return `cannot reach ${where}: timed out (while trying to ${what})`;
  const text = e?.message ?? String(err);
  return `${what}: ${text}`;
}

function parseStatus(body: unknown): StatusBody | undefined {
  if (body && typeof body === 'object') return body as StatusBody;
  if (typeof body !== 'string' || !body.trim().startsWith('{')) return undefined;
  try {
    return JSON.parse(body) as StatusBody;
  } catch {
    return undefined;
  }
}

/** The errno-style code of a network failure, looked for in the error and its causes. */
function networkCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; errno?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)) return e.code;
    if (typeof e.errno === 'string' && /^[A-Z_]+$/.test(e.errno)) return e.errno;
  }
  return undefined;
}

/** True for failures worth retrying after a pause: the network, or a server error. */
export function isTransientKubeError(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: number };
  const status = typeof e?.code === 'number' ? e.code : e?.statusCode;
  if (typeof status === 'number') return status >= 500 || status === 429;
  return networkCode(err) !== undefined;
}

/** The HTTP status of a client error, if it has one. */
export function kubeErrorStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: number };
  return typeof e?.code === 'number' ? e.code : e?.statusCode;
}

/** How long one API request may take before the cluster counts as unreachable. */
export const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Bounds one API request: a cluster that accepts connections but never answers (or a
 * black-holed address) becomes a plain error instead of an endless wait. The request
 * itself is left to finish or fail on its own.
 */
export function withTimeout<T>(request: Promise<T>, what: string, access?: Pick<KubeAccess, 'context' | 'server'>, ms = REQUEST_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const where = access ? `cluster "${access.context}" at ${access.server}` : 'the cluster';
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KubernetesError(`cannot reach ${where}: no answer within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`} (while trying to ${what})`)), ms);
  });
  return Promise.race([request, timeout]).finally(() => clearTimeout(timer));
}
