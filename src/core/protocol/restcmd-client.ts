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
  const cmdid = prepared.cmd.id;
  const where = `${target.host}:${target.port}`;
  const label = opts.appname ? `${opts.appname} (${where})` : where;
  const details = { appname: opts.appname, cmdid, target };

  if (opts.signal?.aborted) {
    return Promise.reject(new CommandError('aborted', `command "${cmdid}" to ${label} aborted before sending`, details));
  }

  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const signal = opts.signal;
    const onAbort = (): void => {
      exchange.cancel();
      finish(new CommandError('aborted', `command "${cmdid}" to ${label} aborted`, { ...details, cause: signal?.reason }));
    };
    const finish = (err?: CommandError): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const text = renderPost(target.host, target.port, '/command', `Content-Type: application/json\r\nX-Answer-Port: ${answer.port}\r\nX-Answer-Host: ${answer.host}\r\n`, prepared.body, prepared.byteLength);
    // Written before this returns: the application starts on it while the caller goes on
    // to the next one.
    const exchange = sharedPool().request(target.host, target.port, text, opts.timeoutMs, (err, res) => {
      if (err?.code === 'TIMEOUT') {
        finish(new CommandError('timeout', `no acknowledgement from ${label} for "${cmdid}" within ${opts.timeoutMs} ms`, details));
        return;
      }
      if (err) {
        const code = err.code;
        finish(new CommandError('unreachable', `cannot reach ${label} for "${cmdid}": ${code}${err.message && !err.message.includes(code) ? ` (${err.message})` : ''}`, { ...details, code, cause: err }));
        return;
      }
      const status = res!.status;
      if (status === 202) {
        finish();
        return;
      }
      const body = res!.body.slice(0, MAX_ERROR_BODY);
      finish(new CommandError('rejected', `${label} rejected "${cmdid}": HTTP ${status}${body.trim() ? ` "${body.trim()}"` : ''}`, { ...details, status, body }));
    });
    if (settled) return;
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
