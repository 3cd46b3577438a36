import { CommandError } from './errors';
import { abortedBeforeSending, isPreparedCommand, prepareCommand, startPost, type PreparedCommand } from './restcmd-client';
import type { ResponseListener } from './response-listener';
import type { CommandReply, Endpoint, RestCommand } from './types';

export interface SendCommandOptions {
  /** Time for the application to acknowledge the POST (202). */
  postTimeoutMs: number;
  /** Time for the asynchronous reply, counted from the moment the command is sent. */
  replyTimeoutMs: number;
  signal?: AbortSignal;
}

/**
 * One restcmd round trip: register the expectation on `listener`, POST the command to
 * `target`, await the reply. Resolves with a successful reply; throws CommandError
 * (`unreachable`, `rejected`, `timeout`, `aborted`, `dead`, or `failed` carrying the reply
 * when the application answered success=false).
 */
export async function sendCommand(
  listener: ResponseListener,
  target: Endpoint,
  appname: string,
  cmd: RestCommand | PreparedCommand,
  opts: SendCommandOptions,
): Promise<CommandReply> {
  const prepared = isPreparedCommand(cmd) ? cmd : prepareCommand(cmd);
  const cmdid = prepared.cmd.id;
  const signal = opts.signal;
  if (signal?.aborted) throw abortedBeforeSending(target, cmdid, appname);
  // Hot path (a transition calls this once per application): no AbortController, and one
  // abort listener for the POST and the wait together (EventTarget listeners are dear at
  // a thousand commands); the expectation is withdrawn through its handle if the POST fails.
  const waiting = listener.expectHandle(appname, cmdid, { timeoutMs: opts.replyTimeoutMs });
  const post = startPost(target, prepared, listener.endpoint, { timeoutMs: opts.postTimeoutMs, appname });
  const onAbort = (): void => {
    post.abort(signal?.reason);
    waiting.abort(signal?.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    try {
      await post.promise;
    } catch (e) {
      waiting.cancel();
      if (e instanceof CommandError && !e.appname) e.appname = appname;
      throw e;
    }
    const reply = await waiting.promise;
    if (!reply.success) {
      throw new CommandError('failed', `${appname} failed "${cmdid}": ${reply.result || '(no reason given)'}`, { appname, cmdid, reply, target });
    }
    return reply;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
