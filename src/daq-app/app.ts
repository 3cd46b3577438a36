import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderPost, sharedPool } from '../core/protocol/lean-http';
import type { Endpoint } from '../core/protocol/types';
import { silentLogger, type Logger } from './log';
import { effectiveSimulation, type SimulationOptions } from './simulation';

export type { SimulationOptions } from './simulation';

/** State of a DUNE application once it runs (conf's entry_state is INITIAL). */
export const INITIAL_STATE = 'INITIAL';

export interface DaqApplicationOptions {
  name: string;
  /** Address to bind (an IP address; the CLI maps `localhost` to 127.0.0.1). */
  host: string;
  /** 0 = ephemeral. */
  port: number;
  sim?: SimulationOptions;
  log?: Logger;
  /**
   * Called when a command asks for a crash, after the application logged it and stopped
   * serving. Default: nothing more (the server is already closed abruptly). The
   * single-application CLI passes `() => process.exit(1)`.
   */
  onCrash?: (app: DaqApplication) => void;
  /** Timeout of the reply POST to the run control, ms. Default 10 s. */
  replyTimeoutMs?: number;
  /** Largest command body accepted, bytes. Default 64 MiB (conf commands can be big). */
  maxCommandBytes?: number;
}

export interface DaqApplicationStatus {
  name: string;
  state: string;
  busy: boolean;
  /** Id of the command being executed, if any. */
  currentCommand: string | null;
  /** Id of the last command executed (accepted, not rejected), whatever its outcome. */
  lastCommand: string | null;
  /** Sticky error message; only a restart clears it (as with DUNE applications). */
  error: string | null;
  crashed: boolean;
  commandsReceived: number;
}

interface ParsedCommand {
  id: string;
  data: unknown;
  entry_state?: string;
  exit_state?: string;
}

interface AnswerTo {
  host: string;
  port: number;
}

const ACK_BODY = 'Command received\n';
const NOT_JSON_BODY = 'Not a JSON command!\n';

function isJsonContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  const media = ct.split(';', 1)[0].trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json');
}

function stateName(s: unknown): string | undefined {
  if (typeof s !== 'string' || s.trim() === '') return undefined;
  const u = s.trim().toUpperCase();
  return u === 'ANY' ? undefined : u;
}

function stripV4Mapped(addr: string | undefined): string | undefined {
  return addr?.startsWith('::ffff:') ? addr.slice(7) : addr;
}

/**
 * The reference DAQ application: speaks restcmd like a DUNE C++ application
 * (POST /command -> 202, reply POSTed to X-Answer-Host:X-Answer-Port/response),
 * runs one command at a time, and can simulate delays, failures, crashes and hangs.
 *
 * Semantics (as DUNE applications behave):
 * - state starts at INITIAL; a successful command moves it to its exit_state (if any);
 * - a command is rejected (success false) when another one is running, when the
 *   application is in error, or when its entry_state (unless ANY) is not the current state;
 * - a failure is sticky: every later command is rejected; nothing clears it but a restart;
 * - a hang never replies and keeps the application busy forever.
 */
export class DaqApplication {
  readonly name: string;
  private readonly opts: DaqApplicationOptions;
  private readonly log: Logger;
  private readonly sim: SimulationOptions;
  private server: http.Server | undefined;
  private bound: Endpoint | undefined;
  private state = INITIAL_STATE;
  private busyWith: string | null = null;
  private lastCommand: string | null = null;
  private error: string | null = null;
  private crashed = false;
  private received = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(opts: DaqApplicationOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.log = opts.log ?? silentLogger;
    this.sim = opts.sim ?? {};
  }

  get endpoint(): Endpoint | undefined {
    return this.bound;
  }

  status(): DaqApplicationStatus {
    return {
      name: this.name,
      state: this.state,
      busy: this.busyWith !== null,
      currentCommand: this.busyWith,
      lastCommand: this.lastCommand,
      error: this.error,
      crashed: this.crashed,
      commandsReceived: this.received,
    };
  }

  listen(): Promise<Endpoint> {
    if (this.server) return Promise.reject(new Error(`${this.name} is already listening`));
    const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 } as http.ServerOptions, (req, res) =>
      this.onRequest(req, res),
    );
    server.headersTimeout = 30_000;
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.server = server;
    return new Promise<Endpoint>((resolve, reject) => {
      server.once('error', (e) => {
        this.server = undefined;
        reject(e);
      });
      server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        server.removeAllListeners('error');
        server.on('error', (e) => this.log.error(`server error: ${e.message}`));
        const addr = server.address() as AddressInfo;
        this.bound = { host: this.opts.host, port: addr.port };
        this.log.info(`listening on rest://${this.opts.host}:${addr.port} (state ${this.state})`);
        resolve(this.bound);
      });
    });
  }

  /** Graceful stop: no new connections, open ones closed. Pending commands are dropped. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Abrupt stop, as a crashing process: every socket destroyed, port closed at once. */
  crash(reason: string): void {
    if (this.crashed) return;
    this.crashed = true;
    this.log.error(`CRASH: ${reason}`);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.close();
      server.closeAllConnections();
    }
    this.opts.onCrash?.(this);
  }

  // ---------------------------------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/command') {
      if (req.method !== 'POST') return this.plain(req, res, 405, 'Only POST\n');
      if (!isJsonContentType(req.headers['content-type'])) return this.plain(req, res, 406, NOT_JSON_BODY);
      this.readCommand(req, res);
      return;
    }
    if (path === '/status' && req.method === 'GET') {
      const body = JSON.stringify(this.status());
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    this.plain(req, res, 404, 'Not found\n');
  }

  private plain(req: http.IncomingMessage, res: http.ServerResponse, status: number, text: string): void {
    req.resume();
    res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private readCommand(req: http.IncomingMessage, res: http.ServerResponse): void {
    const limit = this.opts.maxCommandBytes ?? 64 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooBig = true;
      else chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (tooBig) return this.plain(req, res, 413, `Command larger than ${limit} bytes\n`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        this.log.warn(`invalid JSON command: ${(e as Error).message}`);
        return this.plain(req, res, 400, `Invalid JSON command: ${(e as Error).message}\n`);
      }
      const c = parsed as Record<string, unknown> | null;
      if (typeof c !== 'object' || c === null || Array.isArray(c) || typeof c.id !== 'string' || c.id === '') {
        this.log.warn('command without an "id" rejected');
        return this.plain(req, res, 400, 'Command has no "id"\n');
      }
      const cmd: ParsedCommand = {
        id: c.id,
        data: c.data,
        entry_state: typeof c.entry_state === 'string' ? c.entry_state : undefined,
        exit_state: typeof c.exit_state === 'string' ? c.exit_state : undefined,
      };
      const answerTo = this.answerTo(req);
      res.writeHead(202, { 'Content-Type': 'text/plain', 'Content-Length': ACK_BODY.length });
      res.end(ACK_BODY);
      this.received++;
      this.execute(cmd, answerTo);
    });
  }

  private answerTo(req: http.IncomingMessage): AnswerTo | undefined {
    const portHdr = req.headers['x-answer-port'];
    const port = Number(Array.isArray(portHdr) ? portHdr[0] : portHdr);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
    const hostHdr = req.headers['x-answer-host'];
    const h = (Array.isArray(hostHdr) ? hostHdr[0] : hostHdr)?.trim();
    const host = h || stripV4Mapped(req.socket.remoteAddress) || '127.0.0.1';
    return { host, port };
  }

  private execute(cmd: ParsedCommand, answerTo: AnswerTo | undefined): void {
    if (this.log.enabled('info')) {
      this.log.info(`command "${cmd.id}" received (state ${this.state}${cmd.entry_state ? `, entry ${cmd.entry_state}` : ''}${cmd.exit_state ? `, exit ${cmd.exit_state}` : ''})`);
    }
    if (this.busyWith !== null) {
      return this.reply(answerTo, cmd.id, false, `${this.name} is busy with "${this.busyWith}"; "${cmd.id}" rejected`);
    }
    if (this.error !== null) {
      return this.reply(answerTo, cmd.id, false, `${this.name} is in error (${this.error}); "${cmd.id}" rejected (restart to clear)`);
    }
    const entry = stateName(cmd.entry_state);
    if (entry !== undefined && entry !== this.state) {
      return this.reply(answerTo, cmd.id, false, `"${cmd.id}" requires state ${entry} but ${this.name} is in state ${this.state}`);
    }
    this.busyWith = cmd.id;
    this.lastCommand = cmd.id;
    const eff = effectiveSimulation(cmd.id, cmd.data, this.sim);
    const finish = (): void => {
      if (this.crashed) return;
      if (eff.crash) return this.crash(`simulated crash on "${cmd.id}"`);
      if (eff.hang) {
        this.log.warn(`simulated hang on "${cmd.id}": no reply will be sent, busy forever`);
        return;
      }
      this.busyWith = null;
      if (eff.fail !== undefined) {
        this.error = eff.fail;
        this.log.error(`"${cmd.id}" failed: ${eff.fail} (in error until restart)`);
        return this.reply(answerTo, cmd.id, false, eff.fail);
      }
      const exit = stateName(cmd.exit_state);
      if (exit !== undefined) this.state = exit;
      if (this.log.enabled('info')) this.log.info(`"${cmd.id}" done, state ${this.state}`);
      this.reply(answerTo, cmd.id, true, 'OK');
    };
    if (eff.delayMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        finish();
      }, eff.delayMs);
      this.timers.add(t);
    } else {
      finish();
    }
  }

  private reply(answerTo: AnswerTo | undefined, cmdid: string, success: boolean, result: string): void {
    if (!success && this.log.enabled('info')) this.log.info(`"${cmdid}" answered failure: ${result}`);
    if (!answerTo) {
      this.log.warn(`no valid X-Answer-Port with "${cmdid}": reply (success=${success}) not sent`);
      return;
    }
    const body = JSON.stringify({
      success,
      result,
      appname: this.name,
      data: { 'ans-port': String(answerTo.port), 'ans-host': answerTo.host, cmdid },
    });
    this.postReply(answerTo, cmdid, body);
  }

  private postReply(to: AnswerTo, cmdid: string, body: string): void {
    // Like the C++ applications: a JSON body without a JSON content type.
    const text = renderPost(to.host, to.port, '/response', 'Content-Type: text/plain\r\n', body);
    sharedPool().request(to.host, to.port, text, this.opts.replyTimeoutMs ?? 10_000, (err, res) => {
      if (err) {
        this.log.warn(`could not send reply to "${cmdid}" to ${to.host}:${to.port}: ${err.code}${err.code === 'TIMEOUT' ? ` (${err.message})` : ''}`);
        return;
      }
      const status = res!.status;
      if (status !== 200 && status !== 202 && status !== 204) this.log.warn(`reply to "${cmdid}" answered HTTP ${status} by ${to.host}:${to.port}`);
    });
  }
}
