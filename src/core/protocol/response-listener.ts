import { hostname as osHostname } from 'node:os';
import { CommandError } from './errors';
import { LeanHttpServer, type LeanAnswer, type LeanRequest } from './lean-http-server';
import { parseReplyBody } from './reply-parse';
import type { CommandReply, Endpoint } from './types';

export interface MalformedReplyInfo {
  reason: string;
  /** The body as received (at most the first 1 MiB). */
  raw: string;
  remote?: string;
}

export type ListenerLogLevel = 'debug' | 'info' | 'warn';

export interface ResponseListenerOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port to bind; default 0 (ephemeral, so two sessions never clash). */
  port?: number;
  /**
   * Host announced to applications in X-Answer-Host. Default: the bound host, or this
   * machine's hostname when bound to a wildcard address.
   */
  advertiseHost?: string;
  onMalformed?: (info: MalformedReplyInfo) => void;
  /** Diagnostics (late/dropped replies, malformed ones without onMalformed). Default: warn to stderr. */
  onLog?: (level: ListenerLogLevel, message: string) => void;
  /** How long a reply nobody expects is kept for a late `expect`. Default 10 s. */
  unexpectedTtlMs?: number;
  /** At most this many unexpected replies are kept. Default 1024. */
  maxUnexpected?: number;
  /** Largest accepted body; bigger ones are answered 413 and reported. Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface ExpectOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ExpectHandle {
  promise: Promise<CommandReply>;
  /** Withdraw the expectation; a later reply for it is dropped as late. */
  cancel: () => void;
  /** As an abort of `signal` would: rejects with `aborted`, `reason` as the cause. */
  abort: (reason: unknown) => void;
}

interface Pending {
  key: string;
  appname: string;
  cmdid: string;
  resolve: (r: CommandReply) => void;
  reject: (e: CommandError) => void;
  timer: NodeJS.Timeout;
  cleanup: () => void;
}

const keyOf = (appname: string, cmdid: string): string => `${appname}\u0000${cmdid}`;
const abortedWait = (appname: string, cmdid: string, reason: unknown): CommandError => new CommandError('aborted', `wait for ${appname} "${cmdid}" aborted`, { appname, cmdid, cause: reason });
const DEFAULT_MAX_BODY = 1024 * 1024;
const OK: LeanAnswer = { status: 200, body: 'OK\n' };

function defaultLog(level: ListenerLogLevel, message: string): void {
  if (level === 'warn') console.warn(`${new Date().toISOString()} WARN [response-listener] ${message}`);
}

/**
 * The run control's end of restcmd: an HTTP server that receives the applications'
 * asynchronous replies (POST /response) and hands each one to whoever `expect`s it,
 * matched by appname + cmdid. Register with `expect` BEFORE posting the command.
 */
export class ResponseListener {
  readonly endpoint: Endpoint;
  private readonly server: LeanHttpServer;
  private readonly pending = new Map<string, Pending[]>();
  private readonly byApp = new Map<string, Set<Pending>>();
  /** Replies nobody expected yet: key -> reply, insertion ordered (= expiry ordered). */
  private readonly unexpected = new Map<string, { reply: CommandReply; at: number }>();
  /** Keys whose expectation ended without a reply (timeout/dead/abort): their late replies are dropped, not kept. */
  private readonly abandoned = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly log: (level: ListenerLogLevel, message: string) => void;
  private readonly ttlMs: number;
  private readonly maxUnexpected: number;
  private readonly maxBody: number;
  private readonly onMalformed?: (info: MalformedReplyInfo) => void;

  private constructor(server: LeanHttpServer, endpoint: Endpoint, opts: ResponseListenerOptions) {
    this.server = server;
    this.endpoint = endpoint;
    this.log = opts.onLog ?? defaultLog;
    this.ttlMs = opts.unexpectedTtlMs ?? 10_000;
    this.maxUnexpected = opts.maxUnexpected ?? 1024;
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.onMalformed = opts.onMalformed;
  }

  static async start(opts: ResponseListenerOptions = {}): Promise<ResponseListener> {
    const host = opts.host ?? '127.0.0.1';
    // The handlers reach the listener through `self`, which exists from the tick the port
    // is bound, before any connection can be accepted.
    const server: LeanHttpServer = new LeanHttpServer(
      {
        onHead: (req) => self.onHead(req),
        onRequest: (req) => self.onRequest(req),
        onHandlerError: (e) => self.log('warn', `reply handling failed: ${e instanceof Error ? e.message : String(e)}`),
      },
      { maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY, idleTimeoutMs: 65_000 },
    );
    // A large backlog: a thousand applications answering in the same millisecond must
    // not overflow the accept queue (a dropped SYN costs a 1 s retransmit).
    const port = await server.listen(host, opts.port ?? 0, 4096);
    const wildcard = host === '0.0.0.0' || host === '::';
    const advertised = opts.advertiseHost ?? (wildcard ? osHostname() : host);
    const self: ResponseListener = new ResponseListener(server, { host: advertised, port }, opts);
    return self;
  }

  /** Number of expectations still waiting. */
  get pendingCount(): number {
    let n = 0;
    for (const list of this.pending.values()) n += list.length;
    return n;
  }

  /**
   * Wait for the reply of `appname` to command `cmdid`. Call before posting the command.
   * Rejects with CommandError `timeout`, `aborted` (signal or close) or `dead` (failPending).
   */
  expect(appname: string, cmdid: string, opts: ExpectOptions): Promise<CommandReply> {
    return this.register(appname, cmdid, opts).promise;
  }

  /**
   * As `expect`, plus `cancel()` to withdraw the expectation (e.g. the POST failed). The
   * promise is pre-marked as handled: a rejection nobody awaits is not reported as
   * unhandled. After cancel() it rejects with `aborted`.
   */
  expectHandle(appname: string, cmdid: string, opts: ExpectOptions): ExpectHandle {
    const h = this.register(appname, cmdid, opts);
    h.promise.catch(() => undefined);
    return h;
  }

  private register(appname: string, cmdid: string, opts: ExpectOptions): ExpectHandle {
    const key = keyOf(appname, cmdid);
    const noop = (): void => undefined;
    if (this.closed) {
      return { promise: Promise.reject(new CommandError('aborted', `response listener closed; cannot wait for ${appname} "${cmdid}"`, { appname, cmdid })), cancel: noop, abort: noop };
    }
    const early = this.unexpected.get(key);
    if (early) {
      this.unexpected.delete(key);
      return { promise: Promise.resolve(early.reply), cancel: noop, abort: noop };
    }
    const signal = opts.signal;
    if (signal?.aborted) {
      return { promise: Promise.reject(abortedWait(appname, cmdid, signal.reason)), cancel: noop, abort: noop };
    }
    this.abandoned.delete(key);
    let p!: Pending;
    const promise = new Promise<CommandReply>((resolve, reject) => {
      const onAbort = signal ? (): void => this.settle(p, abortedWait(appname, cmdid, signal.reason)) : undefined;
      p = {
        key,
        appname,
        cmdid,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.settle(p, new CommandError('timeout', `no reply from ${appname} to "${cmdid}" within ${opts.timeoutMs} ms`, { appname, cmdid }));
        }, opts.timeoutMs),
        cleanup: onAbort ? () => signal?.removeEventListener('abort', onAbort) : noop,
      };
      if (onAbort) signal?.addEventListener('abort', onAbort, { once: true });
    });
    let list = this.pending.get(key);
    if (!list) this.pending.set(key, (list = []));
    list.push(p);
    let set = this.byApp.get(appname);
    if (!set) this.byApp.set(appname, (set = new Set()));
    set.add(p);
    return {
      promise,
      cancel: () => this.settle(p, new CommandError('aborted', `wait for ${appname} "${cmdid}" withdrawn`, { appname, cmdid })),
      abort: (reason) => this.settle(p, abortedWait(appname, cmdid, reason)),
    };
  }

  /**
   * Reject every pending expectation of `appname` with kind `dead` (its process died: no
   * reason to wait for the timeout). Returns how many were rejected.
   */
  failPending(appname: string, reason: string): number {
    const set = this.byApp.get(appname);
    if (!set) return 0;
    const all = [...set];
    for (const p of all) {
      this.settle(p, new CommandError('dead', `${appname} died while "${p.cmdid}" was pending: ${reason}`, { appname, cmdid: p.cmdid }));
    }
    return all.length;
  }

  /** Stop listening; every pending expectation is rejected with `aborted`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const list of [...this.pending.values()]) {
      for (const p of [...list]) {
        this.settle(p, new CommandError('aborted', `response listener closed while waiting for ${p.appname} "${p.cmdid}"`, { appname: p.appname, cmdid: p.cmdid }));
      }
    }
    clearTimeout(this.sweepTimer);
    this.unexpected.clear();
    this.abandoned.clear();
    const closed = this.server.close();
    this.server.closeAllConnections();
    await closed;
  }

  // ---------------------------------------------------------------------------------------

  private remove(p: Pending): boolean {
    const list = this.pending.get(p.key);
    if (!list) return false;
    const i = list.indexOf(p);
    if (i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.pending.delete(p.key);
    const set = this.byApp.get(p.appname);
    set?.delete(p);
    if (set && set.size === 0) this.byApp.delete(p.appname);
    clearTimeout(p.timer);
    p.cleanup();
    return true;
  }

  private settle(p: Pending, err: CommandError): void {
    if (!this.remove(p)) return;
    if (!this.closed) {
      this.abandoned.set(p.key, Date.now());
      this.scheduleSweep();
    }
    p.reject(err);
  }

  private deliver(reply: CommandReply): void {
    const key = keyOf(reply.appname, reply.cmdid);
    const list = this.pending.get(key);
    if (list && list.length > 0) {
      const p = list[0];
      this.remove(p);
      p.resolve(reply);
      return;
    }
    if (this.abandoned.has(key)) {
      this.log('warn', `late reply from ${reply.appname} to "${reply.cmdid}" (success=${reply.success}) after the wait ended; dropped`);
      return;
    }
    if (this.unexpected.has(key)) this.unexpected.delete(key);
    this.unexpected.set(key, { reply, at: Date.now() });
    this.log('debug', `reply from ${reply.appname} to "${reply.cmdid}" nobody expects yet; kept ${this.ttlMs} ms`);
    while (this.unexpected.size > this.maxUnexpected) {
      const [oldKey, old] = this.unexpected.entries().next().value as [string, { reply: CommandReply }];
      this.unexpected.delete(oldKey);
      this.log('warn', `unexpected reply from ${old.reply.appname} to "${old.reply.cmdid}" dropped (more than ${this.maxUnexpected} kept)`);
    }
    this.scheduleSweep();
  }

  private scheduleSweep(): void {
    if (this.sweepTimer || this.closed) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep();
    }, Math.min(this.ttlMs, 1000) + 5);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const limit = Date.now() - this.ttlMs;
    for (const [k, v] of this.unexpected) {
      if (v.at > limit) break;
      this.unexpected.delete(k);
      this.log('warn', `unexpected reply from ${v.reply.appname} to "${v.reply.cmdid}" (success=${v.reply.success}) dropped: nobody expected it within ${this.ttlMs} ms`);
    }
    for (const [k, at] of this.abandoned) {
      if (at > limit) break;
      this.abandoned.delete(k);
    }
    if (this.unexpected.size > 0 || this.abandoned.size > 0) this.scheduleSweep();
  }

  private malformed(reason: string, raw: string, remote: string | undefined): void {
    const info: MalformedReplyInfo = { reason, raw, remote };
    if (this.onMalformed) {
      try {
        this.onMalformed(info);
      } catch (e) {
        this.log('warn', `onMalformed handler threw: ${(e as Error).message}`);
      }
    } else {
      this.log('warn', `malformed reply from ${remote ?? '?'}: ${reason}; body: ${raw.slice(0, 200)}`);
    }
  }

  private onHead(req: LeanRequest): LeanAnswer | undefined {
    const path = req.path;
    if (path !== '/response' && path !== '/') {
      this.malformed(`unexpected path ${path}`, '', req.remoteAddress);
      return { status: 404, body: 'Not found\n' };
    }
    if (req.method !== 'POST') {
      this.malformed(`unexpected method ${req.method}`, '', req.remoteAddress);
      return { status: 405, body: 'Only POST\n' };
    }
    return undefined;
  }

  private onRequest(req: LeanRequest): LeanAnswer {
    const raw = req.bodyText();
    if (req.tooLarge) {
      const size = req.contentLength >= 0 ? `${req.contentLength} bytes` : `${req.bodySize}+ bytes`;
      this.malformed(`body larger than ${this.maxBody} bytes (${size}); cut off`, raw, req.remoteAddress);
      return { status: 413, body: 'Reply too large\n' };
    }
    const parsed = parseReplyBody(raw, req.headers['content-type']);
    if (!parsed.ok) {
      this.malformed(parsed.reason, raw, req.remoteAddress);
      return { status: 400, body: `Bad reply: ${parsed.reason}\n` };
    }
    this.deliver(parsed.reply);
    return OK;
  }
}
