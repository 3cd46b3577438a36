import { CommandError } from './errors';
import { isPreparedCommand, postCommand, prepareCommand, type PreparedCommand } from './restcmd-client';
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
  // Hot path (a transition calls this once per application): no AbortController per call;
  // the expectation is withdrawn through its handle if the POST fails.
  const waiting = listener.expectHandle(appname, cmdid, { timeoutMs: opts.replyTimeoutMs, signal: opts.signal });
  try {
    await postCommand(target, prepared, listener.endpoint, { timeoutMs: opts.postTimeoutMs, signal: opts.signal, appname });
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
}
