import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { LeanPool, renderPost, type LeanHttpError, type LeanResponse } from '../../../src/core/protocol/lean-http';
import { closedPort } from './helpers';

interface Raw {
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

/** A raw TCP server: `onRequest` gets each request's text (head + body) and its socket. */
async function rawServer(onRequest: (sock: net.Socket, text: string, n: number) => void): Promise<Raw> {
  const socks = new Set<net.Socket>();
  const raw: Raw = { port: 0, connections: 0, requests: [], close: async () => undefined };
  const srv = net.createServer((sock) => {
    raw.connections++;
    socks.add(sock);
    sock.on('error', () => undefined);
    let acc = '';
    let n = 0;
    sock.on('data', (d) => {
      acc += d.toString('latin1');
      for (;;) {
        const end = acc.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(acc.slice(0, end))?.[1] ?? 0);
        if (acc.length < end + 4 + len) return;
        const text = acc.slice(0, end + 4 + len);
        acc = acc.slice(end + 4 + len);
        raw.requests.push(text);
        onRequest(sock, text, ++n);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  raw.port = (srv.address() as net.AddressInfo).port;
  raw.close = () => {
    for (const s of socks) s.destroy();
    return new Promise<void>((r) => srv.close(() => r()));
  };
  return raw;
}

function post(pool: LeanPool, port: number, body = '{"id":"conf"}', timeoutMs = 2000): Promise<LeanResponse> {
  return new Promise((resolve, reject) => {
    pool.request('127.0.0.1', port, renderPost('127.0.0.1', port, '/command', 'Content-Type: application/json\r\n', body), timeoutMs, (err, res) => (err ? reject(err) : resolve(res!)));
  });
}

/** Writes `text` one byte per packet. */
async function dribble(sock: net.Socket, text: string): Promise<void> {
  for (const ch of Buffer.from(text, 'utf8')) {
    sock.write(Buffer.from([ch]));
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('lean HTTP client', () => {
  let pool: LeanPool;
  const servers: Array<{ close(): Promise<void> }> = [];
  beforeEach(() => {
    pool = new LeanPool();
  });
  afterEach(async () => {
    pool.destroy();
    for (const s of servers.splice(0)) await s.close();
  });

  it("talks to node's http server and keeps the connection alive", async () => {
    let connections = 0;
    const bodies: string[] = [];
    const srv = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(202, { 'Content-Type': 'text/plain' });
        res.end('Command received\n');
      });
    });
    srv.on('connection', () => connections++);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    servers.push({ close: () => new Promise<void>((r) => { srv.close(() => r()); srv.closeAllConnections(); }) });
    const port = (srv.address() as net.AddressInfo).port;
    for (const body of ['{"id":"conf"}', '{"id":"start","x":"é"}']) {
      const res = await post(pool, port, body);
      assert.equal(res.status, 202);
      assert.equal(res.body, 'Command received\n');
    }
    assert.deepEqual(bodies, ['{"id":"conf"}', '{"id":"start","x":"é"}']);
    assert.equal(connections, 1);
    assert.equal(pool.idleCount, 1);
  });

  it('reads a chunked response delivered one byte at a time, then reuses the connection', async () => {
    const raw = await rawServer((sock) => {
      void dribble(sock, 'HTTP/1.1 406 Not Acceptable\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nNot \r\n10\r\na JSON command!\n\r\n0\r\nX-Trailer: 1\r\n\r\n');
    });
    servers.push(raw);
    const res = await post(pool, raw.port);
    assert.equal(res.status, 406);
    assert.equal(res.body, 'Not a JSON command!\n');
    await post(pool, raw.port);
    assert.equal(raw.connections, 1);
  });

  it('does not reuse a connection the server closes (Connection: close, HTTP/1.0, no length)', async () => {
    const answers = [
      'HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 3\r\n\r\nok\n',
      'HTTP/1.0 202 Accepted\r\nContent-Length: 3\r\n\r\nok\n',
    ];
    let i = 0;
    const raw = await rawServer((sock) => sock.end(answers[i++ % answers.length]));
    servers.push(raw);
    for (let k = 0; k < 2; k++) assert.deepEqual(await post(pool, raw.port), { status: 202, body: 'ok\n' });
    const eof = await rawServer((sock) => sock.end('HTTP/1.1 200 OK\r\n\r\nuntil the end'));
    servers.push(eof);
    assert.deepEqual(await post(pool, eof.port), { status: 200, body: 'until the end' });
    assert.equal(raw.connections, 2);
    assert.equal(pool.idleCount, 0);
  });

  it('skips an interim 100 response', async () => {
    const raw = await rawServer((sock) => sock.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n'));
    servers.push(raw);
    assert.deepEqual(await post(pool, raw.port), { status: 202, body: '' });
  });

  it('fails cleanly on garbage and on a connection closed mid-response, and stays usable', async () => {
    let total = 0;
    const raw = await rawServer((sock) => {
      if (++total === 1) sock.write('SSH-2.0-OpenSSH_9.6\r\n\r\n');
      else sock.end('HTTP/1.1 202 Accepted\r\nContent-Length: 50\r\n\r\nshort');
    });
    servers.push(raw);
    await assert.rejects(post(pool, raw.port), (e: LeanHttpError) => e.code.startsWith('HPE_'));
    await assert.rejects(post(pool, raw.port), { code: 'ECONNRESET' });
    const bad = await rawServer((sock) => sock.write('HTTP/1.1 202 Accepted\r\nContent-Length: x\r\n\r\n'));
    servers.push(bad);
    await assert.rejects(post(pool, bad.port), { code: 'HPE_INVALID_CONTENT_LENGTH' });
    assert.equal(pool.idleCount, 0);
  });

  it('refused connection -> the errno', async () => {
    await assert.rejects(post(pool, await closedPort()), { code: 'ECONNREFUSED' });
  });

  it('retries once on a fresh connection when a reused one is reset before answering', async () => {
    const raw = await rawServer((sock, _t, n) => {
      if (n === 1) sock.write('HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n');
      else sock.resetAndDestroy();
    });
    servers.push(raw);
    await post(pool, raw.port);
    await post(pool, raw.port);
    assert.equal(raw.connections, 2);
    assert.equal(raw.requests.length, 3);
  });

  it('does not retry on a fresh connection', async () => {
    const raw = await rawServer((sock) => sock.resetAndDestroy());
    servers.push(raw);
    await assert.rejects(post(pool, raw.port), { code: 'ECONNRESET' });
    assert.equal(raw.requests.length, 1);
  });

  it('times out, closing the connection; a cancelled request never calls back', async () => {
    const raw = await rawServer(() => undefined);
    servers.push(raw);
    await assert.rejects(post(pool, raw.port, '{}', 50), { code: 'TIMEOUT' });
    let called = false;
    const ex = pool.request('127.0.0.1', raw.port, renderPost('127.0.0.1', raw.port, '/command', '', '{}'), 2000, () => (called = true));
    ex.cancel();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(called, false);
    assert.equal(pool.idleCount, 0);
  });

  it('renders Host with brackets for IPv6 and counts UTF-8 bytes', () => {
    const text = renderPost('::1', 80, '/response', 'Content-Type: text/plain\r\n', 'é');
    assert.match(text, /^POST \/response HTTP\/1\.1\r\nHost: \[::1\]:80\r\n/);
    assert.match(text, /Content-Length: 2\r\n\r\né$/);
  });
});
