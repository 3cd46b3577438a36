import assert from 'node:assert/strict';
import * as net from 'node:net';
import { CommandError, postCommand, prepareCommand, type RestCommand } from '../../../src/core/protocol';
import { closedPort, tinyServer, type TinyServer } from './helpers';

const cmd: RestCommand = { id: 'start', data: { modules: [{ match: '', data: { run: 42 } }] }, entry_state: 'CONFIGURED', exit_state: 'READY' };
const answer = { host: '127.0.0.1', port: 56789 };

describe('postCommand', () => {
  let server: TinyServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('POSTs /command with JSON and the answer headers; resolves on 202', async () => {
    server = await tinyServer(() => ({ status: 202, body: 'Command received\n' }));
    await postCommand({ host: '127.0.0.1', port: server.port }, cmd, answer, { timeoutMs: 2000 });
    const [r] = server.requests;
    assert.equal(r.method, 'POST');
    assert.equal(r.url, '/command');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['x-answer-port'], '56789');
    assert.equal(r.headers['x-answer-host'], '127.0.0.1');
    assert.deepEqual(JSON.parse(r.body), cmd);
  });

  it('reuses the keep-alive connection across commands', async () => {
    server = await tinyServer(() => ({ status: 202, body: 'Command received\n' }));
    const prepared = prepareCommand(cmd);
    for (let i = 0; i < 3; i++) await postCommand({ host: '127.0.0.1', port: server.port }, prepared, answer, { timeoutMs: 2000 });
    assert.equal(server.requests.length, 3);
    assert.equal(server.requests[2].headers.connection, 'keep-alive');
    assert.deepEqual(JSON.parse(server.requests[2].body), cmd);
  });

  it('406 -> rejected, with status and body', async () => {
    server = await tinyServer(() => ({ status: 406, body: 'Not a JSON command!\n' }));
    await assert.rejects(postCommand({ host: '127.0.0.1', port: server.port }, cmd, answer, { timeoutMs: 2000, appname: 'ru' }), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.kind, 'rejected');
      assert.equal(e.status, 406);
      assert.equal(e.body, 'Not a JSON command!\n');
      assert.equal(e.cmdid, 'start');
      assert.equal(e.appname, 'ru');
      assert.match(e.message, /406 "Not a JSON command!"/);
      return true;
    });
  });

  it('500 and 200 -> rejected (only 202 is an acknowledgement)', async () => {
    server = await tinyServer((req) => (req.headers['x-answer-port'] ? { status: 500, body: 'oops' } : null));
    await assert.rejects(postCommand({ host: '127.0.0.1', port: server.port }, cmd, answer, { timeoutMs: 2000 }), { kind: 'rejected', status: 500, body: 'oops' });
    const s2 = await tinyServer(() => ({ status: 200, body: '' }));
    try {
      await assert.rejects(postCommand({ host: '127.0.0.1', port: s2.port }, cmd, answer, { timeoutMs: 2000 }), { kind: 'rejected', status: 200 });
    } finally {
      await s2.close();
    }
  });

  it('closed port -> unreachable, naming host:port and the errno', async () => {
    const port = await closedPort();
    await assert.rejects(postCommand({ host: '127.0.0.1', port }, cmd, answer, { timeoutMs: 2000 }), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.kind, 'unreachable');
      assert.equal(e.code, 'ECONNREFUSED');
      assert.ok(e.message.includes(`127.0.0.1:${port}`), e.message);
      assert.ok(e.message.includes('ECONNREFUSED'));
      return true;
    });
  });

  it('no acknowledgement in time -> timeout', async () => {
    server = await tinyServer(() => null);
    await assert.rejects(postCommand({ host: '127.0.0.1', port: server.port }, cmd, answer, { timeoutMs: 100 }), { kind: 'timeout' });
  });

  it('abort signal -> aborted (before and during)', async () => {
    server = await tinyServer(() => null);
    const ac = new AbortController();
    const p = postCommand({ host: '127.0.0.1', port: server.port }, cmd, answer, { timeoutMs: 5000, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(p, { kind: 'aborted' });
    await assert.rejects(postCommand({ host: '127.0.0.1', port: server.port }, cmd, answer, { timeoutMs: 5000, signal: ac.signal }), { kind: 'aborted' });
  });

  it('retries once, on a new connection, when a pooled socket is reset', async () => {
    // Raw server: answers the first request of a connection with 202 keep-alive and resets
    // the connection on the second one (what a server closing idle sockets looks like).
    let connections = 0;
    const socks = new Set<net.Socket>();
    const srv = net.createServer((sock) => {
      connections++;
      socks.add(sock);
      let requests = 0;
      sock.on('data', (d) => {
        if (!d.toString('latin1').startsWith('POST')) return;
        requests++;
        if (requests === 1) sock.write('HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nContent-Length: 17\r\nConnection: keep-alive\r\n\r\nCommand received\n');
        else sock.resetAndDestroy();
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    try {
      const target = { host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port };
      await postCommand(target, cmd, answer, { timeoutMs: 2000 });
      await postCommand(target, cmd, answer, { timeoutMs: 2000 });
      assert.equal(connections, 2);
    } finally {
      for (const s of socks) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
