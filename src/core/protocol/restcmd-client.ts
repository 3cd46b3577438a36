import { CommandError } from './errors';
import { renderPost, sharedPool } from './lean-http';
import type { Endpoint, RestCommand } from './types';

/**
 * A command serialised once, to post the same body to many applications
 * (a transition fans out to every application with an identical command).
 * Build it with `prepareCommand`; the body is frozen at that moment.
 */
export interface PreparedCommand {
  readonly cmd: RestCommand;
  /**
   * The JSON text. Kept as a string on purpose: it is appended to the rendered head so
   * that a command leaves in one write() (a writev() of two buffers measured dearer).
   */
  readonly body: string;
  readonly byteLength: number;
  readonly prepared: true;
}

export function prepareCommand(cmd: RestCommand): PreparedCommand {
  const body = JSON.stringify(cmd);
  return Object.freeze({ cmd, body, byteLength: Buffer.byteLength(body), prepared: true as const });
}

export function isPreparedCommand(c: RestCommand | PreparedCommand): c is PreparedCommand {
  return (c as PreparedCommand).prepared === true && typeof (c as PreparedCommand).body === 'string';
}

export interface PostOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Only used to label errors. */
  appname?: string;
}

const MAX_ERROR_BODY = 4096;

function labelOf(target: Endpoint, appname: string | undefined): string {
  const where = `${target.host}:${target.port}`;
  return appname ? `${appname} (${where})` : where;
}

/** What a POST whose signal was already aborted fails with (nothing is sent). */
export function abortedBeforeSending(target: Endpoint, cmdid: string, appname?: string): CommandError {
  return new CommandError('aborted', `command "${cmdid}" to ${labelOf(target, appname)} aborted before sending`, { appname, cmdid, target });
}

/**
 * POST a restcmd command to `http://target/command`, telling the application to answer at
 * `answer` (X-Answer-Host / X-Answer-Port). Resolves on 202 Accepted; throws CommandError
 * (`unreachable`, `rejected`, `timeout`, `aborted`) otherwise. The reply itself arrives
 * later on a ResponseListener.
 */
export function postCommand(
  target: Endpoint,
  cmd: RestCommand | PreparedCommand,
  answer: Endpoint,
  opts: PostOptions,
): Promise<void> {
  const prepared = isPreparedCommand(cmd) ? cmd : prepareCommand(cmd);
  const signal = opts.signal;
  if (signal?.aborted) return Promise.reject(abortedBeforeSending(target, prepared.cmd.id, opts.appname));
  const post = startPost(target, prepared, answer, opts);
  if (!signal) return post.promise;
  const onAbort = (): void => post.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const off = (): void => signal.removeEventListener('abort', onAbort);
  return post.promise.then(off, (e: unknown) => {
    off();
    throw e;
  });
}

/** A POST in flight. */
export interface PostHandle {
  readonly promise: Promise<void>;
  /** Fails it with `aborted` (`reason` as the cause) and drops its connection; no-op once settled. */
  abort(reason: unknown): void;
}

/**
 * As postCommand, for a caller that watches its own abort signal (sendCommand covers the
 * POST and the wait for the reply with one listener): `opts.signal` is not looked at.
 */
export function startPost(target: Endpoint, prepared: PreparedCommand, answer: Endpoint, opts: PostOptions): PostHandle {
  const cmdid = prepared.cmd.id;
  const label = labelOf(target, opts.appname);
  const details = { appname: opts.appname, cmdid, target };
  let settle!: (err?: CommandError) => void;
  const promise = new Promise<void>((resolve, reject) => {
    let settled = false;
    settle = (err) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
  });
  const text = renderPost(target.host, target.port, '/command', `Content-Type: application/json\r\nX-Answer-Port: ${answer.port}\r\nX-Answer-Host: ${answer.host}\r\n`, prepared.body, prepared.byteLength);
  // Written before this returns: the application starts on it while the caller goes on
  // to the next one.
  const exchange = sharedPool().request(target.host, target.port, text, opts.timeoutMs, (err, res) => {
    if (err?.code === 'TIMEOUT') {
      settle(new CommandError('timeout', `no acknowledgement from ${label} for "${cmdid}" within ${opts.timeoutMs} ms`, details));
      return;
    }
    if (err) {
      const code = err.code;
      settle(new CommandError('unreachable', `cannot reach ${label} for "${cmdid}": ${code}${err.message && !err.message.includes(code) ? ` (${err.message})` : ''}`, { ...details, code, cause: err }));
      return;
    }
    const status = res!.status;
    if (status === 202) {
      settle();
      return;
    }
    const body = res!.body.slice(0, MAX_ERROR_BODY);
    settle(new CommandError('rejected', `${label} rejected "${cmdid}": HTTP ${status}${body.trim() ? ` "${body.trim()}"` : ''}`, { ...details, status, body }));
  });
  return {
    promise,
    abort: (reason) => {
      exchange.cancel();
      settle(new CommandError('aborted', `command "${cmdid}" to ${label} aborted`, { ...details, cause: reason }));
    },
  };
}
