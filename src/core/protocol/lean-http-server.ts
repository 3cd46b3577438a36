import * as net from 'node:net';
import { BAD_VALUE, BodyDecoder, BodyError, TOKEN } from './http-body-decoder';

/**
 * A small HTTP/1.1 server for the two restcmd endpoints (the run control's response
 * listener and the reference application's command port).
 *
 * Why not node:http: both ends handle a burst of one small request per application at
 * once (a thousand in the same few milliseconds), and per request node:http allocates an
 * IncomingMessage, a ServerResponse, their streams and listeners, and answers with a
 * writev of two buffers on a later tick. Here a request is parsed in place from the
 * socket's buffers, the handler answers synchronously with a string, and every answer
 * produced by one read leaves in one write.
 *
 * Scope: requests framed by Content-Length or chunked (extensions and trailers accepted,
 * trailers dropped); keep-alive by default on HTTP/1.1, on request on HTTP/1.0;
 * pipelined requests answered in order; `Expect: 100-continue` honoured. Anything that
 * is not well-formed HTTP gets 400 (431 for an oversized head) and the connection closed:
 * with no proxy in front, being strict costs nothing and avoids guessing at framing.
 */

export interface LeanAnswer {
  status: number;
  body: string;
  /** Default text/plain. */
  contentType?: string;
  /** Close the connection after this answer. */
  close?: boolean;
  /**
   * Runs once the answer is handed to the socket: work that must not overtake it (a
   * reply posted elsewhere, a simulated crash that destroys this very connection).
   */
  after?: () => void;
}

export interface LeanServerHandlers {
  /**
   * Called once the head is parsed. Return an answer to refuse the request without
   * reading its body (the body is skipped, not stored); undefined to read it.
   */
  onHead?: (req: LeanRequest) => LeanAnswer | undefined;
  /**
   * Called once the body is complete, or as soon as it grows past `maxBodyBytes` (then
   * `req.tooLarge` is set, `req.body` holds the first `maxBodyBytes`, and the connection
   * is closed after the answer whatever it says). Must answer synchronously.
   */
  onRequest: (req: LeanRequest) => LeanAnswer;
  /** A handler threw (the client got a 500). Default: ignored. */
  onHandlerError?: (err: unknown) => void;
}

export interface LeanServerOptions {
  /** Body bytes stored per request. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * After a too-large answer the rest of the upload is read and dropped (so that the
   * client reads the answer instead of a reset); past this many bytes in all the
   * connection is cut. Default 16 x maxBodyBytes.
   */
  hardBodyBytes?: number;
  /** Request line + headers (and, separately, trailers). Default 16 KiB, as node:http. */
  maxHeadBytes?: number;
  /** A connection with no traffic for this long is closed. Default 65 s. */
  idleTimeoutMs?: number;
}

const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');
const LF2 = Buffer.from('\n\n', 'latin1');
// Control characters are what the target must not hold.
// eslint-disable-next-line no-control-regex
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\x00-\x20\x7f]+) HTTP\/(\d)\.(\d)$/;

const REASONS: Record<number, string> = {
  100: 'Continue',
  200: 'OK',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  505: 'HTTP Version Not Supported',
};

let dateText = '';
let dateUntil = 0;
/** RFC 9110 wants a Date on every answer; formatting it once a second is enough. */
function httpDate(): string {
  const now = Date.now();
  if (now >= dateUntil) {
    dateText = new Date(now).toUTCString();
    dateUntil = now - (now % 1000) + 1000;
  }
  return dateText;
}

function render(a: LeanAnswer, keepAlive: boolean, withBody: boolean, idleS: number): string {
  const len = Buffer.byteLength(a.body);
  const conn = keepAlive ? `Connection: keep-alive\r\nKeep-Alive: timeout=${idleS}\r\n` : 'Connection: close\r\n';
  return `HTTP/1.1 ${a.status} ${REASONS[a.status] ?? 'Unknown'}\r\nContent-Type: ${a.contentType ?? 'text/plain'}\r\nContent-Length: ${len}\r\nDate: ${httpDate()}\r\n${conn}\r\n${withBody ? a.body : ''}`;
}

/** A request that is not HTTP: answered with `status` and the connection closed. */
class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class LeanRequest {
  /** Body bytes seen so far (all of them once complete; more than `body.length` when too large). */
  bodySize = 0;
  tooLarge = false;
  /** False when the client asked to close, or spoke HTTP/1.0 without asking for keep-alive. */
  keepAlive: boolean;
  /** Content-Length, or -1 (chunked, or none). */
  readonly contentLength: number;
  private chunks: Buffer[] = [];
  private stored = 0;
  private joined: Buffer | undefined;

  constructor(
    private readonly conn: ServerConn,
    readonly method: string,
    /** The request target as sent (path and query). */
    readonly url: string,
    readonly httpMinor: number,
    /** Lower-case names; a repeated field keeps its first value (Transfer-Encoding: all, joined). */
    readonly headers: Readonly<Record<string, string>>,
    keepAlive: boolean,
    contentLength: number,
  ) {
    this.keepAlive = keepAlive;
    this.contentLength = contentLength;
  }

  get path(): string {
    const q = this.url.indexOf('?');
    return q < 0 ? this.url : this.url.slice(0, q);
  }

  /** The peer's address (for an answer sent back to it, and for logs). */
  get remoteAddress(): string | undefined {
    return this.conn.remoteAddress;
  }

  get body(): Buffer {
    if (!this.joined) this.joined = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.stored);
    return this.joined;
  }

  bodyText(): string {
    return this.stored === 0 ? '' : this.body.toString('utf8');
  }

  /** Stores what fits under `limit`; returns false once the body went past it. */
  keep(buf: Buffer, from: number, to: number, limit: number): boolean {
    this.bodySize += to - from;
    const room = limit - this.stored;
    if (room > 0) {
      const end = Math.min(to, from + room);
      this.chunks.push(buf.subarray(from, end));
      this.stored += end - from;
    }
    return this.bodySize <= limit;
  }
}

const enum Phase {
  Head,
  Body,
  /** Closing: everything further is read and dropped. */
  Drain,
}

class ServerConn {
  private phase = Phase.Head;
  private pending: Buffer | undefined;
  private req: LeanRequest | undefined;
  /** The current request was answered at its head: its body is skipped, not stored. */
  private skipping = false;
  private readonly decoder: BodyDecoder;
  private drained = 0;
  /** Answers produced by the current read, written together. */
  private out = '';
  private ending = false;
  private afters: Array<() => void> | undefined;
  private paused = false;
  private remote: string | undefined | null = null;

  constructor(
    private readonly server: LeanHttpServer,
    readonly socket: net.Socket,
  ) {
    this.decoder = new BodyDecoder((buf, from, to) => this.take(buf, from, to), { strict: true, maxTrailerBytes: server.maxHeadBytes });
    socket.setNoDelay(true);
    socket.setTimeout(server.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => server.forget(this));
  }

  get remoteAddress(): string | undefined {
    if (this.remote === null) this.remote = this.socket.remoteAddress;
    return this.remote;
  }

  /** Nothing half-received: closing now loses no request. */
  get idle(): boolean {
    if (this.phase === Phase.Drain) return this.socket.writableLength === 0;
    return this.phase === Phase.Head && this.pending === undefined;
  }

  private onData(d: Buffer): void {
    if (this.phase === Phase.Drain) {
      this.drained += d.length;
      if (this.drained > this.server.hardBodyBytes) this.socket.destroy();
      return;
    }
    const buf = this.pending ? Buffer.concat([this.pending, d]) : d;
    this.pending = undefined;
    let off = 0;
    try {
      while (off < buf.length && !this.draining) {
        const next = this.step(buf, off);
        if (next < 0) {
          this.pending = buf.subarray(off);
          break;
        }
        off = next;
      }
    } catch (e) {
      if (e instanceof BadRequest) this.refuse(e.status, `${e.message}\n`);
      else if (e instanceof BodyError) this.refuse(e.status, `Bad request: ${e.message}\n`);
      else this.refuse(500, 'Internal error\n');
    }
    if (this.draining && off < buf.length) this.drained += buf.length - off;
    this.flush();
  }

  /** A getter, so that TypeScript does not narrow `phase` across calls that change it. */
  private get draining(): boolean {
    return this.phase === Phase.Drain;
  }

  /** Parses from `off`; returns the new offset, or -1 when more bytes are needed. */
  private step(buf: Buffer, off: number): number {
    if (this.phase === Phase.Body) {
      const next = this.decoder.step(buf, off);
      if (this.decoder.done) this.complete();
      return next;
    }
    // Empty lines before a request line are to be ignored (RFC 9112 2.2).
    while (off < buf.length && (buf[off] === 13 || buf[off] === 10)) off++;
    if (off === buf.length) return off;
    const end = buf.indexOf(CRLF2, off);
    const max = this.server.maxHeadBytes;
    if (end < 0 || end - off > max) {
      const bare = buf.indexOf(LF2, off);
      if (bare >= 0 && (end < 0 || bare < end)) throw new BadRequest(400, 'Bad request: bare LF in head');
      if (end >= 0 || buf.length - off > max) throw new BadRequest(431, 'Request head too large');
      return -1;
    }
    this.startRequest(buf.toString('latin1', off, end));
    return end + 4;
  }

  private startRequest(head: string): void {
    const lines = head.split('\r\n');
    const m = REQUEST_LINE.exec(lines[0]);
    if (!m) throw new BadRequest(400, 'Bad request line');
    if (m[3] !== '1' || (m[4] !== '0' && m[4] !== '1')) throw new BadRequest(505, 'Only HTTP/1.0 and HTTP/1.1');
    const minor = m[4] === '1' ? 1 : 0;
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    let length = -1;
    let te: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      // No whitespace before the colon and no folded lines: both are smuggling vectors.
      if (colon <= 0) throw new BadRequest(400, 'Bad request: invalid header line');
      const rawName = line.slice(0, colon);
      if (!TOKEN.test(rawName)) throw new BadRequest(400, 'Bad request: invalid header name');
      const value = line.slice(colon + 1).trim();
      if (BAD_VALUE.test(value)) throw new BadRequest(400, 'Bad request: invalid header value');
      const name = rawName.toLowerCase();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (length >= 0 && Number(value) !== length)) throw new BadRequest(400, 'Bad request: invalid Content-Length');
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        te = te === undefined ? value : `${te}, ${value}`;
        headers[name] = te;
        continue;
      }
      if (headers[name] === undefined) headers[name] = value;
    }
    let chunked = false;
    if (te !== undefined) {
      const codings = te.toLowerCase().split(',');
      // A request body whose last coding is not chunked has no knowable end (RFC 9112 6.3).
      if (codings[codings.length - 1].trim() !== 'chunked' || length >= 0) throw new BadRequest(400, 'Bad request: unsupported Transfer-Encoding');
      chunked = true;
    }
    if (minor === 1 && headers.host === undefined) throw new BadRequest(400, 'Bad request: no Host');
    const connection = headers.connection?.toLowerCase();
    let keepAlive = minor === 1;
    if (connection !== undefined) {
      if (/(?:^|[\s,])close(?:$|[\s,])/.test(connection)) keepAlive = false;
      else if (minor === 0 && /(?:^|[\s,])keep-alive(?:$|[\s,])/.test(connection)) keepAlive = true;
    }
    const req = new LeanRequest(this, m[1], m[2], minor, headers, keepAlive, length);
    this.req = req;
    this.skipping = false;
    const early = this.call(req, true);
    if (early) {
      this.skipping = true;
      this.answer(req, early);
    } else if (minor === 1 && headers.expect?.toLowerCase() === '100-continue' && (chunked || length > 0)) {
      this.out += 'HTTP/1.1 100 Continue\r\n\r\n';
    }
    if (this.draining) return;
    if (chunked) this.decoder.startChunked();
    else this.decoder.startLength(Math.max(length, 0));
    if (this.decoder.done) this.complete();
    else this.phase = Phase.Body;
  }

  /** Body bytes of the current request; false once it was cut off as too large. */
  private take(buf: Buffer, from: number, to: number): boolean {
    const req = this.req as LeanRequest;
    if (this.skipping) return true;
    if (req.keep(buf, from, to, this.server.maxBodyBytes)) return true;
    req.tooLarge = true;
    const a = this.call(req, false);
    this.answer(req, a ?? { status: 413, body: 'Request body too large\n' });
    return false;
  }

  private complete(): void {
    const req = this.req as LeanRequest;
    this.req = undefined;
    this.phase = Phase.Head;
    if (this.skipping) return;
    this.answer(req, this.call(req, false) as LeanAnswer);
  }

  private call(req: LeanRequest, head: boolean): LeanAnswer | undefined {
    const h = this.server.handlers;
    try {
      return head ? h.onHead?.(req) : h.onRequest(req);
    } catch (e) {
      try {
        h.onHandlerError?.(e);
      } catch {
        /* a broken error hook must not take the connection down with it */
      }
      return { status: 500, body: 'Internal error\n', close: true };
    }
  }

  private answer(req: LeanRequest, a: LeanAnswer): void {
    const keepAlive = req.keepAlive && !a.close && !req.tooLarge && !this.server.closing;
    this.out += render(a, keepAlive, req.method !== 'HEAD', this.server.idleTimeoutS);
    if (a.after) (this.afters ??= []).push(a.after);
    if (!keepAlive) this.drain();
  }

  /** Answers a request that is not HTTP and closes. */
  private refuse(status: number, text: string): void {
    this.out += render({ status, body: text }, false, true, 0);
    this.drain();
  }

  /** Stops parsing: the rest of the input is read and dropped until the client closes. */
  private drain(): void {
    this.phase = Phase.Drain;
    this.req = undefined;
    this.pending = undefined;
    this.ending = true;
  }

  private flush(): void {
    const out = this.out;
    if (out === '') return;
    this.out = '';
    if (this.socket.destroyed) {
      // Nobody to answer; the work behind the answers still happens.
    } else if (this.ending) {
      this.socket.end(out);
    } else if (!this.socket.write(out) && !this.paused) {
      // The client sends faster than it reads its answers: stop reading until it catches up.
      this.paused = true;
      this.socket.pause();
      this.socket.once('drain', () => {
        this.paused = false;
        this.socket.resume();
      });
    }
    const afters = this.afters;
    if (!afters) return;
    this.afters = undefined;
    for (const fn of afters) {
      try {
        fn();
      } catch (e) {
        try {
          this.server.handlers.onHandlerError?.(e);
        } catch {
          /* as in call() */
        }
      }
    }
  }

  /** The server is closing: an idle connection goes now, a busy one after its answer. */
  closeIfIdle(): void {
    if (this.idle) this.socket.destroy();
  }
}

/** Listens on one TCP port and answers with `handlers`. */
export class LeanHttpServer {
  readonly maxBodyBytes: number;
  readonly hardBodyBytes: number;
  readonly maxHeadBytes: number;
  readonly idleTimeoutMs: number;
  readonly idleTimeoutS: number;
  closing = false;
  private readonly tcp: net.Server;
  private readonly conns = new Set<ServerConn>();

  constructor(
    readonly handlers: LeanServerHandlers,
    opts: LeanServerOptions = {},
  ) {
    this.maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
    this.hardBodyBytes = Math.max(this.maxBodyBytes, opts.hardBodyBytes ?? this.maxBodyBytes * 16);
    this.maxHeadBytes = opts.maxHeadBytes ?? 16 * 1024;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 65_000;
    this.idleTimeoutS = Math.max(1, Math.floor(this.idleTimeoutMs / 1000));
    this.tcp = net.createServer({ noDelay: true }, (socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.conns.add(new ServerConn(this, socket));
    });
  }

  /** Resolves with the bound port; rejects on a bind error (EADDRINUSE...). */
  listen(host: string, port: number, backlog = 511): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const srv = this.tcp;
      srv.once('error', reject);
      srv.listen({ host, port, backlog }, () => {
        srv.off('error', reject);
        resolve((srv.address() as net.AddressInfo).port);
      });
    });
  }

  /** Errors after listening (rare: the listening socket itself failed). */
  onError(fn: (err: Error) => void): void {
    this.tcp.on('error', fn);
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  forget(conn: ServerConn): void {
    this.conns.delete(conn);
  }

  /**
   * Stops accepting; idle connections are closed now, busy ones after their answer.
   * Resolves once every connection is gone.
   */
  close(): Promise<void> {
    this.closing = true;
    const done = new Promise<void>((resolve) => {
      if (!this.tcp.listening) resolve();
      else this.tcp.close(() => resolve());
    });
    for (const c of [...this.conns]) c.closeIfIdle();
    return done;
  }

  /** Destroys every connection, busy or not (a crash, or a close that must not wait). */
  closeAllConnections(): void {
    for (const c of [...this.conns]) c.socket.destroy();
    this.conns.clear();
  }
}
