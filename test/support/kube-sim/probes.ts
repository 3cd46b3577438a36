import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as os from 'node:os';
import * as net from 'node:net';
import type { KubeObject } from './store';

/** Resolves a probe's or hook's port, which may name one of the container's ports. */
export function resolvePort(port: unknown, container: KubeObject): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = (container.ports ?? []).find((p: KubeObject) => p.name === port);
  return named?.containerPort;
}

export function tcpCheck(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function httpCheck(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: path || '/', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(false));
  });
}

/**
 * Runs an exec handler as the container would: the command as given (no shell added),
 * with the container's environment; passes on exit code 0 within the timeout.
 */
export function execCheck(command: unknown, env: Record<string, string>, timeoutMs: number): Promise<boolean> {
  if (!Array.isArray(command) || command.length === 0 || command.some((c) => typeof c !== 'string')) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { env, cwd: os.tmpdir(), stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** Runs one probe or lifecycle hook handler (tcpSocket, httpGet, exec) against the pod. */
export function runHandler(handler: KubeObject, container: KubeObject, podIP: string, timeoutMs: number, env: Record<string, string>): Promise<boolean> {
  if (handler?.tcpSocket) {
    const port = resolvePort(handler.tcpSocket.port, container);
    return port ? tcpCheck(handler.tcpSocket.host || podIP, port, timeoutMs) : Promise.resolve(false);
  }
  if (handler?.httpGet) {
    const port = resolvePort(handler.httpGet.port, container);
    return port ? httpCheck(handler.httpGet.host || podIP, port, handler.httpGet.path ?? '/', timeoutMs) : Promise.resolve(false);
  }
  if (handler?.exec) return execCheck(handler.exec.command, env, timeoutMs);
  return Promise.resolve(false);
}
