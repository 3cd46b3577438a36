import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CommandError, ResponseListener, sendCommand, tcpPing } from '../../../src/core/protocol';
import { closedPort, tinyServer } from './helpers';

/** A minimal restcmd application written by hand: 202, then the reply after `delay`. */
async function handApp(answer: (cmd: { id: string }) => { success: boolean; result: string } | null, delay = 10) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const cmd = JSON.parse(Buffer.concat(chunks).toString()) as { id: string };
      res.writeHead(202, { 'Content-Type': 'text/plain' });
      res.end('Command received\n');
      const a = answer(cmd);
      if (!a) return;
      setTimeout(() => {
        const r = http.request({ host: req.headers['x-answer-host'] as string, port: Number(req.headers['x-answer-port']), method: 'POST', path: '/response', agent: false });
        r.on('error', () => undefined);
        r.end(JSON.stringify({ ...a, appname: 'hand', data: { cmdid: cmd.id } }));
      }, delay);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    endpoint: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

describe('sendCommand', () => {
  let listener: ResponseListener;
  const closers: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    listener = await ResponseListener.start({ onLog: () => undefined });
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
    await listener.close();
  });
  const opts = { postTimeoutMs: 1000, replyTimeoutMs: 1000 };

  it('resolves with the successful reply', async () => {
    const app = await handApp(() => ({ success: true, result: 'OK' }));
    closers.push(app.close);
    const r = await sendCommand(listener, app.endpoint, 'hand', { id: 'conf', data: {} }, opts);
    assert.equal(r.success, true);
    assert.equal(r.cmdid, 'conf');
    assert.equal(listener.pendingCount, 0);
  });

  it('a success=false reply throws kind failed carrying the reply and its text', async () => {
    const app = await handApp(() => ({ success: false, result: 'DAQModule ru: bad config' }));
    closers.push(app.close);
    await assert.rejects(sendCommand(listener, app.endpoint, 'hand', { id: 'conf', data: {} }, opts), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.kind, 'failed');
      assert.equal(e.appname, 'hand');
      assert.equal(e.cmdid, 'conf');
      assert.equal(e.reply?.result, 'DAQModule ru: bad config');
      assert.match(e.message, /bad config/);
      return true;
    });
  });

  it('no reply -> timeout; unreachable -> unreachable with the appname; nothing left pending', async () => {
    const app = await handApp(() => null);
    closers.push(app.close);
    await assert.rejects(sendCommand(listener, app.endpoint, 'hand', { id: 'start', data: {} }, { postTimeoutMs: 1000, replyTimeoutMs: 60 }), { kind: 'timeout', appname: 'hand' });
    const port = await closedPort();
    await assert.rejects(sendCommand(listener, { host: '127.0.0.1', port }, 'gone', { id: 'start', data: {} }, opts), { kind: 'unreachable', appname: 'gone' });
    assert.equal(listener.pendingCount, 0);
  });

  it('a rejected POST (406) withdraws the expectation', async () => {
    const s = await tinyServer(() => ({ status: 406, body: 'Not a JSON command!\n' }));
    closers.push(s.close);
    await assert.rejects(sendCommand(listener, { host: '127.0.0.1', port: s.port }, 'x', { id: 'conf', data: {} }, opts), { kind: 'rejected', appname: 'x' });
    assert.equal(listener.pendingCount, 0);
  });

  it('failPending while waiting -> dead, without waiting for the timeout', async () => {
    const app = await handApp(() => null);
    closers.push(app.close);
    const p = sendCommand(listener, app.endpoint, 'hand', { id: 'start', data: {} }, { postTimeoutMs: 1000, replyTimeoutMs: 10_000 });
    setTimeout(() => listener.failPending('hand', 'process exited with code 3'), 50);
    await assert.rejects(p, { kind: 'dead' });
  });

  it('abort signal -> aborted', async () => {
    const app = await handApp(() => null);
    closers.push(app.close);
    const ac = new AbortController();
    const p = sendCommand(listener, app.endpoint, 'hand', { id: 'start', data: {} }, { ...opts, replyTimeoutMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, { kind: 'aborted' });
    assert.equal(listener.pendingCount, 0);
  });

  it('abort during the POST -> aborted; already aborted -> aborted before sending, nothing left pending', async () => {
    // The application holds the POST: the abort lands before any acknowledgement.
    const s = await tinyServer(() => null);
    closers.push(s.close);
    const ac = new AbortController();
    const p = sendCommand(listener, { host: '127.0.0.1', port: s.port }, 'x', { id: 'conf', data: {} }, { ...opts, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('operator')), 30);
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.deepEqual([e.kind, e.appname], ['aborted', 'x']);
      assert.match(e.message, /command "conf" to x \(.*\) aborted$/);
      return true;
    });
    await assert.rejects(sendCommand(listener, { host: '127.0.0.1', port: s.port }, 'x', { id: 'conf', data: {} }, { ...opts, signal: ac.signal }), /aborted before sending/);
    assert.equal(listener.pendingCount, 0);
  });

  it('watches the signal with one listener for the whole round trip, removed when done', async () => {
    const app = await handApp((cmd) => (cmd.id === 'silent' ? null : { success: true, result: 'OK' }));
    closers.push(app.close);
    const ac = new AbortController();
    let added = 0;
    let most = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    ac.signal.addEventListener = (...args: Parameters<AbortSignal['addEventListener']>) => {
      added++;
      add(...args);
      most = Math.max(most, getEventListeners(ac.signal, 'abort').length);
    };
    await Promise.all(['a', 'b', 'c'].map((id) => sendCommand(listener, app.endpoint, 'hand', { id, data: {} }, { ...opts, signal: ac.signal })));
    assert.deepEqual([added, most], [3, 3]);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    await assert.rejects(sendCommand(listener, app.endpoint, 'hand', { id: 'silent', data: {} }, { ...opts, replyTimeoutMs: 30, signal: ac.signal }), { kind: 'timeout' });
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  });
});

describe('tcpPing', () => {
  it('true for a listening port, false for a closed one', async () => {
    const s = await tinyServer(() => null);
    try {
      assert.equal(await tcpPing('127.0.0.1', s.port), true);
    } finally {
      await s.close();
    }
    assert.equal(await tcpPing('127.0.0.1', await closedPort(), 500), false);
  });
});
