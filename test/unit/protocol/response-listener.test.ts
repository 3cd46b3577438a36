import assert from 'node:assert/strict';
import { CommandError, ResponseListener, type MalformedReplyInfo } from '../../../src/core/protocol';
import { rawRequest, replyBody, sleep } from './helpers';

describe('ResponseListener', () => {
  let listener: ResponseListener;
  let malformed: MalformedReplyInfo[];
  let logs: string[];

  beforeEach(async () => {
    malformed = [];
    logs = [];
    listener = await ResponseListener.start({
      onMalformed: (i) => malformed.push(i),
      onLog: (_l, m) => logs.push(m),
    });
  });
  afterEach(async () => {
    await listener.close();
  });

  const post = (body: string | Buffer, headers: Record<string, string | number> = {}, path = '/response', method = 'POST') =>
    rawRequest(listener.endpoint.port, { body, headers, path, method });

  it('binds 127.0.0.1 on an ephemeral port; two listeners never clash', async () => {
    const other = await ResponseListener.start();
    try {
      assert.equal(listener.endpoint.host, '127.0.0.1');
      assert.ok(listener.endpoint.port > 0);
      assert.notEqual(other.endpoint.port, listener.endpoint.port);
    } finally {
      await other.close();
    }
  });

  it('accepts JSON without a JSON content type (as the C++ applications send it)', async () => {
    const p = listener.expect('ru-01', 'conf', { timeoutMs: 2000 });
    const res = await post(replyBody('ru-01', 'conf'), { 'Content-Type': 'text/plain' });
    assert.equal(res.status, 200);
    const reply = await p;
    assert.deepEqual(
      { success: reply.success, result: reply.result, appname: reply.appname, cmdid: reply.cmdid },
      { success: true, result: 'OK', appname: 'ru-01', cmdid: 'conf' },
    );
    assert.equal(reply.data['ans-port'], '1');
  });

  it('accepts application/json, and no content type at all, on /response and /', async () => {
    const a = listener.expect('a', 'start', { timeoutMs: 2000 });
    const b = listener.expect('b', 'start', { timeoutMs: 2000 });
    await post(replyBody('a', 'start'), { 'Content-Type': 'application/json' });
    await post(replyBody('b', 'start', false, 'boom'), {}, '/');
    assert.equal((await a).success, true);
    const rb = await b;
    assert.equal(rb.success, false);
    assert.equal(rb.result, 'boom');
  });

  it('accepts form-encoded fields (cmdid field, or data as JSON)', async () => {
    const a = listener.expect('py-1', 'stop', { timeoutMs: 2000 });
    const b = listener.expect('py-2', 'stop', { timeoutMs: 2000 });
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    assert.equal((await post('success=true&result=OK&appname=py-1&cmdid=stop', form)).status, 200);
    const data = encodeURIComponent(JSON.stringify({ cmdid: 'stop' }));
    assert.equal((await post(`success=False&result=not+ready&appname=py-2&data=${data}`, form)).status, 200);
    const ra = await a;
    assert.equal(ra.success, true);
    assert.equal(ra.cmdid, 'stop');
    const rb = await b;
    assert.equal(rb.success, false);
    assert.equal(rb.result, 'not ready');
  });

  it('reports malformed JSON and missing fields, answers 400, and keeps waiting', async () => {
    const p = listener.expect('x', 'conf', { timeoutMs: 3000 });
    assert.equal((await post('{"success": tru')).status, 400);
    assert.equal((await post(JSON.stringify({ success: true, result: 'OK', data: { cmdid: 'conf' } }))).status, 400);
    assert.equal((await post(JSON.stringify({ success: true, appname: 'x', data: {} }))).status, 400);
    assert.equal((await post(JSON.stringify({ result: 'OK', appname: 'x', data: { cmdid: 'conf' } }))).status, 400);
    assert.equal((await post('')).status, 400);
    assert.equal((await post('hello world')).status, 400);
    assert.equal(malformed.length, 6);
    assert.match(malformed[0].reason, /invalid JSON/);
    assert.equal(malformed[0].raw, '{"success": tru');
    assert.equal(malformed[0].remote?.endsWith('127.0.0.1'), true);
    assert.match(malformed[1].reason, /appname/);
    assert.match(malformed[2].reason, /cmdid/);
    assert.match(malformed[3].reason, /success/);
    assert.equal(listener.pendingCount, 1);
    await post(replyBody('x', 'conf'));
    assert.equal((await p).success, true);
  });

  it('rejects a wrong method (405) and an unknown path (404) without crashing', async () => {
    assert.equal((await post('', {}, '/response', 'GET')).status, 405);
    assert.equal((await post(replyBody('a', 'b'), {}, '/elsewhere')).status, 404);
    assert.equal(malformed.length, 2);
    assert.match(malformed[0].reason, /method GET/);
  });

  it('cuts off a body larger than 1 MiB (413), reports it, and still serves', async () => {
    const huge = Buffer.alloc(1024 * 1024 + 10, 'a');
    const res = await post(huge);
    assert.equal(res.status, 413);
    assert.equal(malformed.length, 1);
    assert.match(malformed[0].reason, /larger than 1048576/);
    assert.equal(malformed[0].raw.length, 1024 * 1024);
    const p = listener.expect('a', 'conf', { timeoutMs: 2000 });
    await post(replyBody('a', 'conf'));
    assert.equal((await p).success, true);
  });

  it('matches by appname + cmdid', async () => {
    const a = listener.expect('a', 'conf', { timeoutMs: 2000 });
    const b = listener.expect('b', 'conf', { timeoutMs: 2000 });
    const a2 = listener.expect('a', 'start', { timeoutMs: 2000 });
    await post(replyBody('a', 'start', true, 'second'));
    await post(replyBody('b', 'conf', true, 'bee'));
    await post(replyBody('a', 'conf', true, 'first'));
    assert.equal((await a).result, 'first');
    assert.equal((await b).result, 'bee');
    assert.equal((await a2).result, 'second');
  });

  it('keeps a reply nobody expects for a while, for a late expect', async () => {
    await post(replyBody('early', 'conf', true, 'came first'));
    const r = await listener.expect('early', 'conf', { timeoutMs: 100 });
    assert.equal(r.result, 'came first');
  });

  it('drops an unexpected reply after the keep time, with a log', async () => {
    const l2 = await ResponseListener.start({ unexpectedTtlMs: 50, onLog: (_l, m) => logs.push(m) });
    try {
      await rawRequest(l2.endpoint.port, { body: replyBody('ghost', 'conf') });
      await sleep(300);
      assert.ok(logs.some((m) => /ghost.*dropped/.test(m)), logs.join('\n'));
      await assert.rejects(l2.expect('ghost', 'conf', { timeoutMs: 50 }), { kind: 'timeout' });
    } finally {
      await l2.close();
    }
  });

  it('keeps a bounded number of unexpected replies', async () => {
    const l2 = await ResponseListener.start({ maxUnexpected: 2, onLog: (_l, m) => logs.push(m) });
    try {
      for (const n of ['u1', 'u2', 'u3']) await rawRequest(l2.endpoint.port, { body: replyBody(n, 'conf') });
      assert.ok(logs.some((m) => /u1.*dropped/.test(m)));
      await assert.rejects(l2.expect('u1', 'conf', { timeoutMs: 30 }), { kind: 'timeout' });
      assert.equal((await l2.expect('u3', 'conf', { timeoutMs: 30 })).appname, 'u3');
    } finally {
      await l2.close();
    }
  });

  it('times out with the documented message', async () => {
    const t0 = Date.now();
    await assert.rejects(listener.expect('slow-app', 'start', { timeoutMs: 80 }), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.kind, 'timeout');
      assert.equal(e.appname, 'slow-app');
      assert.equal(e.cmdid, 'start');
      assert.equal(e.message, 'no reply from slow-app to "start" within 80 ms');
      return true;
    });
    assert.ok(Date.now() - t0 >= 75);
    assert.equal(listener.pendingCount, 0);
  });

  it('drops a reply that comes after its wait timed out (not kept for the next expect)', async () => {
    await assert.rejects(listener.expect('late', 'conf', { timeoutMs: 20 }), { kind: 'timeout' });
    await post(replyBody('late', 'conf'));
    assert.ok(logs.some((m) => /late reply from late/.test(m)));
    await assert.rejects(listener.expect('late', 'conf', { timeoutMs: 30 }), { kind: 'timeout' });
  });

  it('failPending rejects that application\'s waits at once with kind dead', async () => {
    const a1 = listener.expect('dying', 'conf', { timeoutMs: 5000 });
    const a2 = listener.expect('dying', 'start', { timeoutMs: 5000 });
    const other = listener.expect('alive', 'conf', { timeoutMs: 5000 });
    assert.equal(listener.failPending('dying', 'exit code 1'), 2);
    await assert.rejects(a1, (e: unknown) => e instanceof CommandError && e.kind === 'dead' && /exit code 1/.test(e.message));
    await assert.rejects(a2, { kind: 'dead' });
    assert.equal(listener.failPending('nobody', 'x'), 0);
    assert.equal(listener.pendingCount, 1);
    await post(replyBody('alive', 'conf'));
    assert.equal((await other).success, true);
  });

  it('an abort signal rejects with kind aborted', async () => {
    const ac = new AbortController();
    const p = listener.expect('a', 'conf', { timeoutMs: 5000, signal: ac.signal });
    ac.abort();
    await assert.rejects(p, { kind: 'aborted' });
    await assert.rejects(listener.expect('a', 'conf', { timeoutMs: 5000, signal: ac.signal }), { kind: 'aborted' });
    assert.equal(listener.pendingCount, 0);
  });

  it('close rejects pending waits with aborted and frees the port', async () => {
    const p = listener.expect('a', 'conf', { timeoutMs: 5000 });
    const port = listener.endpoint.port;
    await listener.close();
    await assert.rejects(p, { kind: 'aborted' });
    await assert.rejects(rawRequest(port, { body: replyBody('a', 'conf') }), { code: 'ECONNREFUSED' });
    await assert.rejects(listener.expect('a', 'conf', { timeoutMs: 10 }), { kind: 'aborted' });
  });

  it('survives a client that disconnects mid-body', async () => {
    const net = await import('node:net');
    await new Promise<void>((resolve) => {
      const s = net.connect(listener.endpoint.port, '127.0.0.1', () => {
        s.write('POST /response HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"succ');
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 20);
      });
    });
    const p = listener.expect('a', 'conf', { timeoutMs: 2000 });
    await post(replyBody('a', 'conf'));
    assert.equal((await p).success, true);
  });
});
