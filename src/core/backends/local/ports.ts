import * as net from 'node:net';

/**
 * Ask the kernel for a free port on `host` by binding port 0. There is an unavoidable
 * window between closing this socket and the application binding the port; the
 * caller's readiness check (a TCP ping) plus a failing application's exit cover it.
 */
export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err) => reject(bindError(err as NodeJS.ErrnoException, host, 0)));
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error(`could not allocate a port on ${host}`));
      });
    });
  });
}

/**
 * Throw a clear error when `port` on `host` cannot be used. This matters beyond a nicer
 * message: readiness is detected by a TCP connect, so a port held by some unrelated
 * process would make a broken application look started.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`port ${port} on ${host} is not a valid TCP port (1-65535)`);
  }
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err) => reject(bindError(err as NodeJS.ErrnoException, host, port)));
    server.listen({ host, port }, () => server.close(() => resolve()));
  });
}

function bindError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (err.code) {
    case 'EADDRINUSE':
      return new Error(`port ${port} on ${host} is already in use`);
    case 'EACCES':
      return new Error(`port ${port} on ${host}: permission denied (ports below 1024 need privileges)`);
    case 'EADDRNOTAVAIL':
      return new Error(`cannot use ${host}:${port}: ${host} is not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new Error(`cannot use ${host}:${port}: host name ${host} does not resolve`);
    default:
      return new Error(`cannot bind ${host}:${port}: ${err.message}`);
  }
}
