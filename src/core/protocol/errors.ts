import type { CommandReply, Endpoint } from './types';

/**
 * Why a command did not succeed.
 * - `unreachable`: the TCP connection failed (refused, reset, host unreachable, DNS).
 * - `rejected`:    the application answered the POST with something other than 202.
 * - `timeout`:     no 202 within the POST timeout, or no reply within the reply timeout.
 * - `aborted`:     the caller's AbortSignal fired, or the listener was closed.
 * - `failed`:      the application replied with `success: false` (see `reply`).
 * - `dead`:        the controller declared the application's process dead (`failPending`).
 */
export type CommandErrorKind = 'unreachable' | 'rejected' | 'timeout' | 'aborted' | 'failed' | 'dead';

export interface CommandErrorDetails {
  appname?: string;
  cmdid?: string;
  reply?: CommandReply;
  target?: Endpoint;
  /** HTTP status for `rejected`. */
  status?: number;
  /** Response body (truncated) for `rejected`. */
  body?: string;
  /** errno code (ECONNREFUSED, ...) for `unreachable`. */
  code?: string;
  cause?: unknown;
}

export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly kind: CommandErrorKind;
  /** Filled by `sendCommand` when the low-level call did not know it. */
  appname?: string;
  readonly cmdid?: string;
  readonly reply?: CommandReply;
  readonly target?: Endpoint;
  readonly status?: number;
  readonly body?: string;
  readonly code?: string;

  constructor(kind: CommandErrorKind, message: string, details: CommandErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.appname = details.appname;
    this.cmdid = details.cmdid;
    this.reply = details.reply;
    this.target = details.target;
    this.status = details.status;
    this.body = details.body;
    this.code = details.code;
  }
}

export function isCommandError(e: unknown): e is CommandError {
  return e instanceof CommandError;
}
