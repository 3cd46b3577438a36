import * as http from 'node:http';
import { CommandError } from './errors';
import { isStaleSocketError, sharedAgent } from './http-agent';
import type { Endpoint, RestCommand } from './types';

/**
 * A command serialised once, to post the same body to many applications
 * (a transition fans out to every application with an identical command).
 * Build it with `prepareCommand`; the body is frozen at that moment.
 */
export interface PreparedCommand {
  readonly cmd: RestCommand;
  /**
   * The JSON text. Kept as a string on purpose: node's http client then sends headers
   * and body in one write() instead of a writev() of two buffers (measured cheaper).
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
    let req: http.ClientRequest | undefined;
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': prepared.byteLength,
      'X-Answer-Port': String(answer.port),
      'X-Answer-Host': answer.host,
    };

    const finish = (err?: CommandError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req?.destroy();
        reject(err);
      } else {
        resolve();
      }
    };

    const timer = setTimeout(() => {
      finish(new CommandError('timeout', `no acknowledgement from ${label} for "${cmdid}" within ${opts.timeoutMs} ms`, details));
    }, opts.timeoutMs);

    const onAbort = (): void => {
      finish(new CommandError('aborted', `command "${cmdid}" to ${label} aborted`, { ...details, cause: opts.signal?.reason }));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const send = (attempt: number): void => {
      const r = http.request({
        agent: sharedAgent(),
        host: target.host,
        port: target.port,
        method: 'POST',
        path: '/command',
        headers,
      });
      req = r;
      r.on('response', (res) => {
        if (res.statusCode === 202) {
          res.resume(); // drain "Command received\n" so the socket goes back to the pool
          finish();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ERROR_BODY) chunks.push(c);
          size += c.length;
        });
        const done = (): void => {
          const body = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY);
          const status = res.statusCode ?? 0;
          finish(
            new CommandError(
              'rejected',
              `${label} rejected "${cmdid}": HTTP ${status}${body.trim() ? ` "${body.trim()}"` : ''}`,
              { ...details, status, body },
            ),
          );
        };
        res.on('end', done);
        res.on('error', done);
        res.on('aborted', done);
      });
      r.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        // A reused keep-alive socket that the server had already closed: the request never
        // reached the application, so sending it once more on a fresh socket is safe.
        if (attempt === 0 && r.reusedSocket && isStaleSocketError(err)) {
          send(1);
          return;
        }
        const code = err.code ?? 'EUNKNOWN';
        finish(new CommandError('unreachable', `cannot reach ${label} for "${cmdid}": ${code}${err.message && !err.message.includes(code) ? ` (${err.message})` : ''}`, { ...details, code, cause: err }));
      });
      r.end(prepared.body);
    };
    send(0);
  });
}
