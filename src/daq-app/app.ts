import { renderPost, sharedPool } from '../core/protocol/lean-http';
import { LeanHttpServer, type LeanAnswer, type LeanRequest } from '../core/protocol/lean-http-server';
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

const ACK: LeanAnswer = { status: 202, body: 'Command received\n' };
const NOT_JSON: LeanAnswer = { status: 406, body: 'Not a JSON command!\n' };
const ONLY_POST: LeanAnswer = { status: 405, body: 'Only POST\n' };
const NOT_FOUND: LeanAnswer = { status: 404, body: 'Not found\n' };

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
  private server: LeanHttpServer | undefined;
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

  async listen(): Promise<Endpoint> {
    if (this.server) throw new Error(`${this.name} is already listening`);
    const limit = this.opts.maxCommandBytes ?? 64 * 1024 * 1024;
    const server = new LeanHttpServer(
      {
        onHead: (req) => this.onHead(req),
        onRequest: (req) => this.onCommand(req, limit),
        onHandlerError: (e) => this.log.error(`request handling failed: ${e instanceof Error ? e.message : String(e)}`),
      },
      { maxBodyBytes: limit, idleTimeoutMs: 65_000 },
    );
    this.server = server;
    let port: number;
    try {
      port = await server.listen(this.opts.host, this.opts.port);
    } catch (e) {
      this.server = undefined;
      throw e;
    }
    server.onError((e) => this.log.error(`server error: ${e.message}`));
    this.bound = { host: this.opts.host, port };
    this.log.info(`listening on rest://${this.opts.host}:${port} (state ${this.state})`);
    return this.bound;
  }

  /** Graceful stop: no new connections, open ones closed. Pending commands are dropped. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = server.close();
    server.closeAllConnections();
    await closed;
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
      void server.close();
      server.closeAllConnections();
    }
    this.opts.onCrash?.(this);
  }

  // ---------------------------------------------------------------------------------------

  private onHead(req: LeanRequest): LeanAnswer | undefined {
    const path = req.path;
    if (path === '/command') {
      if (req.method !== 'POST') return ONLY_POST;
      if (!isJsonContentType(req.headers['content-type'])) return NOT_JSON;
      return undefined;
    }
    if (path === '/status' && req.method === 'GET') return { status: 200, body: JSON.stringify(this.status()), contentType: 'application/json' };
    return NOT_FOUND;
  }

  /** A complete POST /command with a JSON content type. */
  private onCommand(req: LeanRequest, limit: number): LeanAnswer {
    if (req.tooLarge) return { status: 413, body: `Command larger than ${limit} bytes\n` };
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.bodyText());
    } catch (e) {
      this.log.warn(`invalid JSON command: ${(e as Error).message}`);
      return { status: 400, body: `Invalid JSON command: ${(e as Error).message}\n` };
    }
    const c = parsed as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null || Array.isArray(c) || typeof c.id !== 'string' || c.id === '') {
      this.log.warn('command without an "id" rejected');
      return { status: 400, body: 'Command has no "id"\n' };
    }
    const cmd: ParsedCommand = {
      id: c.id,
      data: c.data,
      entry_state: typeof c.entry_state === 'string' ? c.entry_state : undefined,
      exit_state: typeof c.exit_state === 'string' ? c.exit_state : undefined,
    };
    this.received++;
    const answerTo = this.answerTo(req);
    return { ...ACK, after: () => this.execute(cmd, answerTo) };
  }

  private answerTo(req: LeanRequest): AnswerTo | undefined {
    const port = Number(req.headers['x-answer-port']);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
    const host = req.headers['x-answer-host']?.trim() || stripV4Mapped(req.remoteAddress) || '127.0.0.1';
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
