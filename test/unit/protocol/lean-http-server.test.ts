import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { LeanHttpServer, type LeanAnswer, type LeanRequest } from '../../../src/core/protocol/lean-http-server';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  tooLarge: boolean;
  remote: string | undefined;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what a server sent into answers (framed by Content-Length; 1xx have none). */
function parseAnswers(raw: string): Answer[] {
  const out: Answer[] = [];
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const lines = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
    const len = Number(headers['content-length'] ?? 0);
    out.push({ status: Number(lines[0].split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + len) });
    rest = rest.slice(end + 4 + len);
  }
}

interface Exchange {
  answers: Answer[];
  /** The server closed the connection. */
  closed: boolean;
}

/**
 * Sends `parts` on a fresh connection (one write each, a macrotask apart), then waits
 * until `answers` answers came or the server closed.
 */
function exchange(port: number, parts: Array<string | Buffer>, answers: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let raw = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(guard);
      sock.destroy();
      resolve({ answers: parseAnswers(raw).filter((a) => a.status >= 200), closed });
    };
    // Only a safety net for a broken server, not a timing assertion.
    const guard = setTimeout(() => finish(false), 5000);
    sock.on('error', () => finish(true));
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('data', (d: Buffer) => {
      raw += d.toString('latin1');
      if (answers > 0 && parseAnswers(raw).filter((a) => a.status >= 200).length >= answers) finish(false);
    });
    sock.on('connect', async () => {
      for (const p of parts) {
        if (done) return;
        sock.write(p);
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

/** Writes `parts`, then reads until `enough` says so (it may write more). */
function rawUntil(port: number, parts: string[], enough: (raw: string, sock: net.Socket) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let raw = '';
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`closed after ${JSON.stringify(raw)}`)));
    sock.on('connect', () => parts.forEach((p) => sock.write(p)));
    sock.on('data', (d: Buffer) => {
      raw += d.toString('latin1');
      if (!enough(raw, sock)) return;
      sock.removeAllListeners('close');
      sock.destroy();
      resolve(raw);
    });
  });
}

/** Sends `data` and half-closes; resolves once the connection is gone, whatever happened. */
function sendAndEnd(port: number, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => undefined);
    sock.on('close', () => resolve());
    sock.on('connect', () => sock.end(data));
    sock.resume();
  });
}

const post = (body: string, extra = ''): string => `POST /echo HTTP/1.1\r\nHost: x\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const bytes = (s: string): Buffer[] => [...Buffer.from(s, 'latin1')].map((b) => Buffer.from([b]));

describe('LeanHttpServer (real sockets on 127.0.0.1)', () => {
  let server: LeanHttpServer;
  let port: number;
  let seen: Seen[];
  let answerWith: ((req: LeanRequest) => LeanAnswer) | undefined;

  async function start(opts: ConstructorParameters<typeof LeanHttpServer>[1] = {}): Promise<void> {
    await server?.close();
    seen = [];
    server = new LeanHttpServer(
      {
        onHead: (req) => (req.path === '/early' ? { status: 404, body: 'Not found\n' } : undefined),
        onRequest: (req) => {
          seen.push({ method: req.method, url: req.url, headers: { ...req.headers }, body: req.bodyText(), tooLarge: req.tooLarge, remote: req.remoteAddress });
          if (answerWith) return answerWith(req);
          return req.tooLarge ? { status: 413, body: 'too large\n' } : { status: 200, body: `got ${req.bodySize}\n` };
        },
      },
      opts,
    );
    port = await server.listen('127.0.0.1', 0);
  }

  beforeEach(async () => {
    answerWith = undefined;
    await start();
  });
  afterEach(async () => {
    const closed = server.close();
    server.closeAllConnections();
    await closed;
  });

  it("answers node's http client and keeps the connection alive between requests", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const request = (body: string): Promise<{ status: number; body: string; reused: boolean; type: string | undefined }> =>
      new Promise((resolve, reject) => {
        const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/echo?x=1', agent, headers: { 'Content-Type': 'application/json', 'X-Answer-Port': '7' } }, (res) => {
          let b = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (b += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, reused: req.reusedSocket, type: res.headers['content-type'] }));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const a = await request('{"id":"conf"}');
      const b = await request('{"id":"start"}');
      assert.deepEqual([a.status, a.body, a.type], [200, 'got 13\n', 'text/plain']);
      assert.equal(b.body, 'got 14\n');
      assert.equal(a.reused, false);
      assert.equal(b.reused, true);
      assert.equal(server.connectionCount, 1);
      assert.equal(seen[0].url, '/echo?x=1');
      assert.equal(seen[0].headers['x-answer-port'], '7');
      assert.equal(seen[0].headers['content-type'], 'application/json');
      assert.equal(seen[0].remote, '127.0.0.1');
    } finally {
      agent.destroy();
    }
  });

  it('reads a chunked body (extensions, trailers) sent one byte at a time', async () => {
    const text = 'POST /echo HTTP/1.1\r\nHOST: x\r\ntransfer-encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7\r\n, world\r\n0;last\r\nX-Checksum: 1\r\n\r\n';
    const r = await exchange(port, bytes(text), 1);
    assert.equal(r.answers[0].status, 200);
    assert.equal(seen[0].body, 'hello, world');
    assert.equal(r.answers[0].headers.connection, 'keep-alive');
  });

  it('reads a Content-Length body split at every byte position', async () => {
    const text = post('{"id":"conf"}');
    for (let cut = 1; cut < text.length; cut++) {
      const r = await exchange(port, [text.slice(0, cut), text.slice(cut)], 1);
      assert.equal(r.answers[0]?.status, 200, `split at ${cut}`);
    }
    assert.ok(seen.every((s) => s.body === '{"id":"conf"}'));
  });

  it('answers pipelined requests in order', async () => {
    answerWith = (req) => ({ status: 200, body: `${req.bodyText()}\n` });
    const chunked = 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n';
    const r = await exchange(port, [post('one') + chunked + 'GET /early HTTP/1.1\r\nHost: x\r\n\r\n' + post('three')], 4);
    assert.deepEqual(r.answers.map((a) => `${a.status} ${a.body.trim()}`), ['200 one', '200 two', '404 Not found', '200 three']);
  });

  it('skips the body of a request refused at its head, and the connection stays usable', async () => {
    const r = await exchange(port, ['POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nxxxxx' + post('after')], 2);
    assert.deepEqual(r.answers.map((a) => a.status), [404, 200]);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].body, 'after');
  });

  it('answers 413 and closes once a body grows past the limit, keeping its first bytes', async () => {
    await start({ maxBodyBytes: 100 });
    const r = await exchange(port, [post('a'.repeat(150))], 0);
    assert.equal(r.answers[0].status, 413);
    assert.equal(r.answers[0].headers.connection, 'close');
    assert.equal(r.closed, true);
    assert.equal(seen[0].tooLarge, true);
    assert.equal(seen[0].body.length, 100);
    // Chunked: cut off as well, without waiting for the end.
    const c = await exchange(port, ['POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', '96\r\n', 'b'.repeat(150)], 0);
    assert.equal(c.answers[0].status, 413);
    assert.equal(c.closed, true);
  });

  it("lets node's http client read the 413 of an upload past the limit; cuts one past the hard limit", async () => {
    await start({ maxBodyBytes: 1024, hardBodyBytes: 64 * 1024 });
    const upload = (size: number): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/echo', agent: false }, (r) => {
          r.resume();
          r.on('end', () => resolve(r.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(Buffer.alloc(size, 'z'));
      });
    assert.equal(await upload(32 * 1024), 413);
    // Past the hard limit the connection is cut: the answer may or may not get through.
    const cut = await exchange(port, [post('z'.repeat(1024 * 1024))], 0);
    assert.equal(cut.closed, true);
    assert.equal((await exchange(port, [post('ok')], 1)).answers[0].status, 200);
  });

  it('answers 400 and closes on garbage and on malformed heads', async () => {
    const bad = [
      'hello\r\n\r\n',
      'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n',
      'GET / HTTP/2.0\r\nHost: x\r\n\r\n',
      'GET /\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1\r\nHost : x\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n',
      'GET / HTTP/1.1\r\n\r\n',
      'GET / HTTP/1.1\nHost: x\n\n',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n',
    ];
    for (const text of bad) {
      const r = await exchange(port, [text], 0);
      assert.equal(r.closed, true, JSON.stringify(text));
      assert.ok(r.answers[0] && r.answers[0].status >= 400 && r.answers[0].status < 600, JSON.stringify(text));
      assert.equal(r.answers[0].headers.connection, 'close');
    }
    assert.equal(seen.length, 0);
  });

  it('answers 431 to a head larger than the limit', async () => {
    await start({ maxHeadBytes: 1024 });
    const r = await exchange(port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(2000)}`], 0);
    assert.equal(r.answers[0].status, 431);
    assert.equal(r.closed, true);
  });

  it('honours Connection: close, and HTTP/1.0 (close unless keep-alive is asked for)', async () => {
    const c = await exchange(port, [post('x', 'Connection: close\r\n') + post('never')], 0);
    assert.deepEqual(c.answers.map((a) => [a.status, a.headers.connection]), [[200, 'close']]);
    assert.equal(c.closed, true);
    const old = await exchange(port, ['POST /echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi'], 0);
    assert.deepEqual(old.answers.map((a) => [a.status, a.headers.connection]), [[200, 'close']]);
    assert.equal(old.closed, true);
    const ka = await exchange(port, ['GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n'], 0);
    assert.deepEqual(ka.answers.map((a) => a.headers.connection), ['keep-alive', 'close']);
    // x, the HTTP/1.0 post, /a and /b ('never' came after a close).
    assert.equal(seen.length, 4);
  });

  it('answers HEAD without a body, and 100 Continue before an expected body', async () => {
    const head = await rawUntil(port, ['HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n'], (raw) => raw.includes('\r\n\r\n'));
    assert.match(head, /\r\nContent-Length: 6\r\n/);
    assert.ok(head.endsWith('\r\n\r\n'), head);
    const cont = await rawUntil(port, ['POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n'], (raw, sock) => {
      if (raw === 'HTTP/1.1 100 Continue\r\n\r\n') sock.write('ok');
      return raw.includes('got 2');
    });
    assert.match(cont, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  it('answers 500 when a handler throws, and keeps serving', async () => {
    answerWith = () => {
      throw new Error('boom');
    };
    const r = await exchange(port, [post('x')], 0);
    assert.equal(r.answers[0].status, 500);
    answerWith = undefined;
    assert.equal((await exchange(port, [post('y')], 1)).answers[0].status, 200);
  });

  it('never crashes on random bytes, truncated requests or requests cut at every byte', async () => {
    // A fixed-seed generator: a failure can be replayed.
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const valid = 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;a=b\r\nabcd\r\n0\r\nT: 1\r\n\r\n';
    for (let i = 0; i < 150; i++) {
      const len = 1 + rnd(300);
      const junk = Buffer.alloc(len);
      for (let j = 0; j < len; j++) junk[j] = rnd(256);
      // Random bytes alone, after a valid head, and inside a valid request.
      const variants = [junk, Buffer.concat([Buffer.from('POST /echo HTTP/1.1\r\nHost: x\r\n'), junk]), Buffer.from(valid.slice(0, rnd(valid.length)) + junk.toString('latin1'), 'latin1')];
      await sendAndEnd(port, variants[i % 3]);
    }
    for (let cut = 1; cut < valid.length; cut++) await sendAndEnd(port, valid.slice(0, cut));
    const r = await exchange(port, bytes(valid), 1);
    assert.equal(r.answers[0].status, 200);
  });

  it('close() stops accepting, drops idle connections and frees the port', async () => {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.on('connect', () => r()));
    sock.on('error', () => undefined);
    const ended = new Promise<void>((r) => sock.on('close', () => r()));
    sock.resume();
    await server.close();
    await ended;
    const after = await exchange(port, [post('x')], 1);
    assert.deepEqual([after.closed, after.answers.length], [true, 0]);
  });
});
