import * as http from 'node:http';
import type { SimCluster } from '../../support/kube-sim';

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface Reply {
  status: number;
  body: any;
  headers: http.IncomingHttpHeaders;
}

/** One request to the simulated API server, JSON in and out (text when the reply is not JSON). */
export function api(cluster: SimCluster, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(`${cluster.url}${path}`, { method, headers: { 'content-type': 'application/json', ...(data !== undefined ? { 'content-length': String(Buffer.byteLength(data)) } : {}), ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: any = text;
        if (String(res.headers['content-type']).includes('json')) parsed = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** An open watch: collects the JSON lines it receives. */
export interface WatchStream {
  events: Array<{ type: string; object: any }>;
  ended: Promise<void>;
  close(): void;
}

export function openWatch(cluster: SimCluster, path: string, headers: Record<string, string> = {}): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${cluster.url}${path}`, { headers, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      const events: WatchStream['events'] = [];
      let buf = '';
      const ended = new Promise<void>((r) => {
        res.on('end', r);
        res.on('close', r);
        res.on('error', () => r());
      });
      res.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line));
        }
      });
      resolve({ events, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pod running the reference DAQ application on the pod's own address. */
export function daqPod(name: string, extra: { labels?: Record<string, string>; spec?: Record<string, unknown>; args?: string[]; image?: string } = {}): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name, ...(extra.labels ?? {}) } },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'app',
          image: extra.image ?? 'baton/daq-app:test',
          command: ['baton-daq-app'],
          args: ['--name', name, '-c', 'rest://$(POD_IP):3333', ...(extra.args ?? [])],
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          ports: [{ name: 'cmd', containerPort: 3333 }],
        },
      ],
      ...(extra.spec ?? {}),
    },
  };
}

export function condition(pod: any, type: string): any {
  return (pod?.status?.conditions ?? []).find((c: any) => c.type === type);
}
