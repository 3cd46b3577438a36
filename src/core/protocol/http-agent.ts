import * as http from 'node:http';
import { resetSharedPool } from './lean-http';

/**
 * A keep-alive agent for HTTP the run control does through node:http. restcmd POSTs
 * (commands and replies) no longer go through it but through the lean pool of
 * lean-http.ts, which keeps the same policy: each application has its own host:port, so the pool keeps one idle socket per
 * application between transitions; no per-host socket limit, so a fan-out to N
 * applications opens N connections in parallel.
 */
let shared: http.Agent | undefined;

export function sharedAgent(): http.Agent {
  if (!shared) {
    shared = new http.Agent({
      keepAlive: true,
      keepAliveMsecs: 10_000,
      maxSockets: Infinity,
      maxFreeSockets: 1024,
      scheduling: 'lifo',
      noDelay: true,
    } as http.AgentOptions);
  }
  return shared;
}

/**
 * Closes the idle sockets of the shared agent and of the restcmd connection pool (tests,
 * shutdown). New ones are made on next use.
 */
export function resetSharedAgent(): void {
  shared?.destroy();
  shared = undefined;
  resetSharedPool();
}

/** Errors that mean "the idle keep-alive socket was closed by the server under our feet". */
export function isStaleSocketError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED';
}
