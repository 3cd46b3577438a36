import * as net from 'node:net';
import { BodyDecoder, BodyError } from './http-body-decoder';

/**
 * A small keep-alive HTTP/1.1 client for restcmd POSTs (commands and replies).
 *
 * Why not node:http: a transition posts one small request to each of N applications at
 * once, and per request the http client allocates a ClientRequest, an IncomingMessage,
 * two streams, a parser and a dozen listeners, defers the write to a later tick and ends
 * with a writev of two buffers. At N = 1000 that machinery, not the network, was most of
 * the run control's overhead. Here a request is one pre-rendered string written at once
 * (so the application starts working while the caller is still looping over the others)
 * and the answer is parsed in place.
 *
 * Scope: one request at a time per connection, no pipelining; responses framed by
 * Content-Length, chunked encoding or connection close; 1xx interim responses skipped.
 */

export interface LeanResponse {
  status: number;
  /** Decoded as UTF-8; at most `maxBodyBytes` of it are kept (the rest is read and dropped). */
  body: string;
}

export type LeanCallback = (err: LeanHttpError | undefined, res?: LeanResponse) => void;

export class LeanHttpError extends Error {
  override readonly name = 'LeanHttpError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface LeanPoolOptions {
  /** Idle connections older than this are closed. Default 30 s (servers close theirs too). */
  idleTimeoutMs?: number;
  /** Body bytes kept per response. Default 64 KiB. */
  maxBodyBytes?: number;
}

/** A response head larger than this is not HTTP we want to talk to. */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');

const enum Phase {
  Idle,
  Head,
  Body,
}

/** One request in flight; survives a retry onto a fresh connection. */
export class LeanExchange {
  conn: Conn | undefined;
  done = false;
  timer: NodeJS.Timeout | undefined;
  constructor(
    readonly pool: LeanPool,
    readonly host: string,
    readonly port: number,
    readonly text: string,
    readonly cb: LeanCallback,
  ) {}

  /** Abandons the request (abort): its connection is closed, the callback never runs. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    const c = this.conn;
    this.conn = undefined;
    if (c) c.destroy();
  }

  settle(err: LeanHttpError | undefined, res?: LeanResponse): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.conn = undefined;
    this.cb(err, res);
  }

  expire(ms: number): void {
    this.cancel();
    this.cb(new LeanHttpError('TIMEOUT', `no response within ${ms} ms`));
  }
}

class Conn {
  readonly socket: net.Socket;
  exchange: LeanExchange | undefined;
  /** Completed at least one exchange: a failure before any answer byte may be a stale keep-alive. */
  reused = false;
  idleSince = 0;
  dead = false;
  private phase = Phase.Idle;
  private pending: Buffer | undefined;
  private gotBytes = false;
  private status = 0;
  private keepAlive = true;
  private readonly decoder = new BodyDecoder((buf, from, to) => this.keep(buf, from, to), { strict: false, maxTrailerBytes: MAX_HEAD_BYTES });
  private body: Buffer[] = [];
  private bodySize = 0;

  constructor(
    readonly pool: LeanPool,
    readonly key: string,
    host: string,
    port: number,
  ) {
    const socket = net.connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err.code ?? 'EUNKNOWN', err.message));
    socket.on('close', () => this.onClose());
  }

  start(ex: LeanExchange): void {
    this.exchange = ex;
    ex.conn = this;
    this.phase = Phase.Head;
    this.gotBytes = false;
    this.pending = undefined;
    this.status = 0;
    this.keepAlive = true;
    if (this.bodySize > 0) this.body = [];
    this.bodySize = 0;
    this.socket.write(ex.text);
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.exchange = undefined;
    this.pool.forget(this);
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    if (!this.exchange || this.phase === Phase.Idle) {
      // Bytes nobody asked for: the connection is out of step; never reuse it.
      this.destroy();
      return;
    }
    this.gotBytes = true;
    const buf = this.pending ? Buffer.concat([this.pending, d]) : d;
    this.pending = undefined;
    let off = 0;
    try {
      while (off < buf.length && !this.responseDone) {
        const used = this.step(buf, off);
        if (used < 0) {
          // Need more bytes: keep the unparsed tail.
          this.pending = buf.subarray(off);
          if (this.phase === Phase.Head && this.pending.length > MAX_HEAD_BYTES) throw new LeanHttpError('HPE_HEADER_OVERFLOW', 'response head too large');
          return;
        }
        off = used;
      }
    } catch (e) {
      this.fail(e instanceof LeanHttpError ? e : new LeanHttpError(e instanceof BodyError ? e.code : 'HPE_INVALID', (e as Error).message));
      return;
    }
    if (!this.responseDone) return;
    // Bytes after a complete response (we never pipeline): out of step, do not reuse.
    if (off < buf.length) this.keepAlive = false;
    this.finish();
  }

  /** A method, so that TypeScript does not narrow `phase` across calls that change it. */
  private get responseDone(): boolean {
    return this.phase === Phase.Idle;
  }

  /** Parses from `off`; returns the new offset, or -1 when more bytes are needed. */
  private step(buf: Buffer, off: number): number {
    if (this.phase === Phase.Head) {
      const end = buf.indexOf(CRLF2, off);
      if (end < 0) return -1;
      this.parseHead(buf.toString('latin1', off, end));
      return end + 4;
    }
    const next = this.decoder.step(buf, off);
    if (this.decoder.done) this.complete();
    return next;
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0]);
    if (!m) throw new LeanHttpError('HPE_INVALID_CONSTANT', `not an HTTP response: "${lines[0].slice(0, 60)}"`);
    const status = Number(m[2]);
    let keepAlive = m[1] === '1';
    let length = -1;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      if (colon <= 0) throw new LeanHttpError('HPE_INVALID_HEADER_TOKEN', `invalid header line "${line.slice(0, 60)}"`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (length >= 0 && Number(value) !== length)) throw new LeanHttpError('HPE_INVALID_CONTENT_LENGTH', `invalid Content-Length "${value}"`);
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        chunked = value.toLowerCase().split(',').pop()?.trim() === 'chunked';
        if (!chunked) keepAlive = false;
      } else if (name === 'connection') {
        const v = value.toLowerCase();
        if (v.includes('close')) keepAlive = false;
        else if (v.includes('keep-alive')) keepAlive = true;
      }
    }
    if (status < 200) {
      // Interim (100 Continue and friends): the real response follows.
      this.phase = Phase.Head;
      return;
    }
    this.status = status;
    this.keepAlive = keepAlive;
    if (status === 204 || status === 304) this.decoder.startLength(0);
    else if (chunked) this.decoder.startChunked();
    else if (length >= 0) this.decoder.startLength(length);
    else {
      this.keepAlive = false;
      this.decoder.startUntilClose();
    }
    if (this.decoder.done) this.complete();
    else this.phase = Phase.Body;
  }

  private keep(buf: Buffer, from: number, to: number): void {
    const room = this.pool.maxBodyBytes - this.bodySize;
    if (room <= 0 || to <= from) return;
    const end = Math.min(to, from + room);
    this.body.push(buf.subarray(from, end));
    this.bodySize += end - from;
  }

  /** The response is complete; `finish` hands it over once the current read is parsed. */
  private complete(): void {
    this.phase = Phase.Idle;
  }

  private finish(): void {
    const ex = this.exchange;
    this.exchange = undefined;
    const body = this.bodySize === 0 ? '' : this.body.length === 1 ? this.body[0].toString('utf8') : Buffer.concat(this.body).toString('utf8');
    if (this.keepAlive && !this.socket.destroyed) {
      this.reused = true;
      this.pool.release(this);
    } else {
      this.destroy();
    }
    ex?.settle(undefined, { status: this.status, body });
  }

  private fail(err: LeanHttpError): void {
    const ex = this.exchange;
    this.destroy();
    ex?.settle(err);
  }

  private onEnd(): void {
    if (this.phase === Phase.Body && this.exchange && this.decoder.endOfInput()) {
      this.phase = Phase.Idle;
      this.finish();
      return;
    }
    this.lost('ECONNRESET', 'socket hang up');
  }

  private onError(code: string, message: string): void {
    this.lost(code, message);
  }

  private onClose(): void {
    this.lost('ECONNRESET', 'socket hang up');
  }

  /** The connection ended before a complete response. */
  private lost(code: string, message: string): void {
    const ex = this.exchange;
    const staleReuse = this.reused && !this.gotBytes;
    this.destroy();
    if (!ex || ex.done) return;
    // An idle keep-alive socket the server had closed under our feet: nothing was read by
    // the server, so sending once more on a fresh connection is safe.
    if (staleReuse && isRetryableCode(code)) {
      ex.conn = undefined;
      this.pool.startFresh(ex);
      return;
    }
    ex.settle(new LeanHttpError(code, message));
  }
}

function isRetryableCode(code: string): boolean {
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED';
}

/** Keep-alive connections by host:port, most recently used first. */
export class LeanPool {
  readonly maxBodyBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly idle = new Map<string, Conn[]>();
  private readonly open = new Set<Conn>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(opts: LeanPoolOptions = {}) {
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
    this.maxBodyBytes = opts.maxBodyBytes ?? 64 * 1024;
  }

  /**
   * Sends `text` (a complete HTTP/1.1 request) to host:port on an idle connection or a new
   * one, and calls back once with the response or an error (`code` is the errno, or HPE_*
   * for a response that is not HTTP, TIMEOUT when no complete response came within
   * `timeoutMs`; the connection is then closed).
   */
  request(host: string, port: number, text: string, timeoutMs: number, cb: LeanCallback): LeanExchange {
    const ex = new LeanExchange(this, host, port, text, cb);
    ex.timer = setTimeout(() => ex.expire(timeoutMs), timeoutMs);
    const key = `${host}:${port}`;
    const list = this.idle.get(key);
    let conn: Conn | undefined;
    while (list && list.length > 0 && !conn) {
      const c = list.pop() as Conn;
      if (!c.dead && !c.socket.destroyed) conn = c;
    }
    if (list && list.length === 0) this.idle.delete(key);
    if (conn) {
      conn.socket.ref();
      conn.start(ex);
    } else {
      this.startFresh(ex);
    }
    return ex;
  }

  startFresh(ex: LeanExchange): void {
    const conn = new Conn(this, `${ex.host}:${ex.port}`, ex.host, ex.port);
    this.open.add(conn);
    conn.start(ex);
  }

  release(conn: Conn): void {
    conn.idleSince = Date.now();
    // Idle pooled sockets must not keep the process alive.
    conn.socket.unref();
    let list = this.idle.get(conn.key);
    if (!list) this.idle.set(conn.key, (list = []));
    list.push(conn);
    this.scheduleSweep();
  }

  forget(conn: Conn): void {
    this.open.delete(conn);
    const list = this.idle.get(conn.key);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.idle.delete(conn.key);
  }

  /** Number of idle pooled connections (tests, diagnostics). */
  get idleCount(): number {
    let n = 0;
    for (const l of this.idle.values()) n += l.length;
    return n;
  }

  /** Closes every connection; exchanges in flight fail with ECONNRESET. */
  destroy(): void {
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
    for (const c of [...this.open]) c.socket.destroy();
    this.open.clear();
    this.idle.clear();
  }

  private scheduleSweep(): void {
    if (this.sweeper) return;
    this.sweeper = setTimeout(() => {
      this.sweeper = undefined;
      const limit = Date.now() - this.idleTimeoutMs;
      for (const list of [...this.idle.values()]) for (const c of [...list]) if (c.idleSince <= limit) c.destroy();
      if (this.idle.size > 0) this.scheduleSweep();
    }, Math.max(250, Math.min(this.idleTimeoutMs, 5_000)));
    this.sweeper.unref();
  }
}

let shared: LeanPool | undefined;

/** The process-wide pool every restcmd POST uses. */
export function sharedPool(): LeanPool {
  shared ??= new LeanPool();
  return shared;
}

export function resetSharedPool(): void {
  shared?.destroy();
  shared = undefined;
}

/**
 * Renders a POST request. `headers` is pre-rendered `Name: value\r\n` lines (without
 * Host, Content-Length and Connection, which this adds).
 */
export function renderPost(host: string, port: number, path: string, headers: string, body: string, byteLength = Buffer.byteLength(body)): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `POST ${path} HTTP/1.1\r\nHost: ${h}:${port}\r\nConnection: keep-alive\r\n${headers}Content-Length: ${byteLength}\r\n\r\n${body}`;
}
