import assert from 'node:assert/strict';
import { CommandError, ResponseListener, sendCommand, tcpPing, type Endpoint, type RestCommand } from '../../../src/core/protocol';
import { DaqApplication, type SimulationOptions } from '../../../src/daq-app/app';
import { Farm } from '../../../src/daq-app/farm';
import { effectiveSimulation } from '../../../src/daq-app/simulation';
import { rawRequest, sleep } from '../protocol/helpers';

const opts = { postTimeoutMs: 1000, replyTimeoutMs: 2000 };
const cmd = (id: string, entry?: string, exit?: string, data: RestCommand['data'] = {}): RestCommand => ({
  id,
  data,
  ...(entry ? { entry_state: entry } : {}),
  ...(exit ? { exit_state: exit } : {}),
});

describe('DaqApplication (in-process, real HTTP)', () => {
  let listener: ResponseListener;
  const apps: Array<DaqApplication | Farm> = [];

  beforeEach(async () => {
    listener = await ResponseListener.start({ onLog: () => undefined });
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await listener.close();
  });

  async function app(name = 'ru-01', sim: SimulationOptions = {}): Promise<{ a: DaqApplication; ep: Endpoint }> {
    const a = new DaqApplication({ name, host: '127.0.0.1', port: 0, sim });
    apps.push(a);
    return { a, ep: await a.listen() };
  }
  const send = (ep: Endpoint, name: string, c: RestCommand, o = opts) => sendCommand(listener, ep, name, c, o);
  const status = async (ep: Endpoint) => JSON.parse((await rawRequest(ep.port, { method: 'GET', path: '/status' })).body) as Record<string, unknown>;

  it('runs a full conf/start/enable/disable/stop/scrap cycle following entry/exit states', async () => {
    const { a, ep } = await app();
    assert.equal(a.status().state, 'INITIAL');
    const cycle: Array<[string, string, string]> = [
      ['conf', 'INITIAL', 'CONFIGURED'],
      ['start', 'CONFIGURED', 'READY'],
      ['enable_triggers', 'READY', 'RUNNING'],
      ['disable_triggers', 'RUNNING', 'READY'],
      ['drain_dataflow', 'READY', 'DATAFLOW_DRAINED'],
      ['stop_trigger_sources', 'DATAFLOW_DRAINED', 'TRIGGER_SOURCES_STOPPED'],
      ['stop', 'TRIGGER_SOURCES_STOPPED', 'CONFIGURED'],
      ['scrap', 'CONFIGURED', 'INITIAL'],
    ];
    for (const [id, entry, exit] of cycle) {
      const r = await send(ep, 'ru-01', cmd(id, entry, exit, { modules: [{ match: '', data: { run: 42 } }] }));
      assert.equal(r.success, true);
      assert.equal(r.result, 'OK');
      assert.equal(r.appname, 'ru-01');
      assert.equal(r.cmdid, id);
      assert.equal(r.data['ans-port'], String(listener.endpoint.port));
      assert.equal(r.data['ans-host'], '127.0.0.1');
      assert.equal(a.status().state, exit);
    }
    // A stay-command without states (e.g. change_rate) and explicit ANY are accepted anywhere.
    await send(ep, 'ru-01', cmd('change_rate', undefined, undefined, { modules: [{ match: '', data: { trigger_rate: 2 } }] }));
    await send(ep, 'ru-01', cmd('record', 'ANY', 'ANY'));
    const st = await status(ep);
    assert.deepEqual({ name: st.name, state: st.state, busy: st.busy, lastCommand: st.lastCommand, error: st.error }, { name: 'ru-01', state: 'INITIAL', busy: false, lastCommand: 'record', error: null });
  });

  it('rejects a command while busy with another', async () => {
    const { ep } = await app('busy', { delays: { conf: 300 } });
    const first = send(ep, 'busy', cmd('conf', 'INITIAL', 'CONFIGURED'));
    await sleep(50);
    await assert.rejects(send(ep, 'busy', cmd('start', 'CONFIGURED', 'READY')), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.kind, 'failed');
      assert.match(e.reply?.result ?? '', /busy with "conf"/);
      return true;
    });
    assert.equal((await first).success, true);
    assert.equal((await send(ep, 'busy', cmd('start', 'CONFIGURED', 'READY'))).success, true);
  });

  it('rejects a command whose entry_state is not the current state (and stays usable)', async () => {
    const { a, ep } = await app();
    await assert.rejects(send(ep, 'ru-01', cmd('start', 'CONFIGURED', 'READY')), (e: unknown) => {
      assert.ok(e instanceof CommandError && e.kind === 'failed');
      assert.match(e.reply?.result ?? '', /requires state CONFIGURED.*in state INITIAL/);
      return true;
    });
    assert.equal(a.status().state, 'INITIAL');
    assert.equal(a.status().error, null);
    await send(ep, 'ru-01', cmd('conf', 'initial', 'configured')); // case-insensitive
    assert.equal(a.status().state, 'CONFIGURED');
  });

  it('fail (flag) -> success false with the message, then sticky error for every later command', async () => {
    const { a, ep } = await app('ru-01', { failOn: { start: 'DAQModule tpset: cannot open socket' } });
    await send(ep, 'ru-01', cmd('conf', 'INITIAL', 'CONFIGURED'));
    await assert.rejects(send(ep, 'ru-01', cmd('start', 'CONFIGURED', 'READY')), (e: unknown) => {
      assert.ok(e instanceof CommandError && e.kind === 'failed');
      assert.equal(e.reply?.result, 'DAQModule tpset: cannot open socket');
      return true;
    });
    assert.equal(a.status().state, 'CONFIGURED');
    assert.equal(a.status().error, 'DAQModule tpset: cannot open socket');
    await assert.rejects(send(ep, 'ru-01', cmd('scrap', 'CONFIGURED', 'INITIAL')), (e: unknown) => {
      assert.ok(e instanceof CommandError && e.kind === 'failed');
      assert.match(e.reply?.result ?? '', /in error \(DAQModule tpset: cannot open socket\)/);
      return true;
    });
    assert.equal((await status(ep)).error, 'DAQModule tpset: cannot open socket');
  });

  it('fail / delay from the command data (data.simulate and data.modules[].data.simulate)', async () => {
    const { ep } = await app('d');
    const t0 = Date.now();
    await send(ep, 'd', cmd('conf', 'INITIAL', 'CONFIGURED', { modules: [{ match: '', data: { simulate: { delay_ms: 120 } } }] }));
    assert.ok(Date.now() - t0 >= 110);
    await assert.rejects(send(ep, 'd', cmd('start', 'CONFIGURED', 'READY', { simulate: { fail: true } })), (e: unknown) => {
      assert.ok(e instanceof CommandError && e.kind === 'failed');
      assert.equal(e.reply?.result, 'simulated failure of "start"');
      return true;
    });
  });

  it('hang -> no reply (timeout) and busy forever', async () => {
    const { a, ep } = await app('h', { hangOn: ['start'] });
    await send(ep, 'h', cmd('conf', 'INITIAL', 'CONFIGURED'));
    await assert.rejects(send(ep, 'h', cmd('start', 'CONFIGURED', 'READY'), { postTimeoutMs: 1000, replyTimeoutMs: 150 }), { kind: 'timeout', message: 'no reply from h to "start" within 150 ms' });
    assert.equal(a.status().busy, true);
    assert.equal(a.status().currentCommand, 'start');
    await assert.rejects(send(ep, 'h', cmd('stop')), (e: unknown) => e instanceof CommandError && e.kind === 'failed' && /busy with "start"/.test(e.reply?.result ?? ''));
  });

  it('406 for a non-JSON content type, 400 for invalid JSON or a missing id, 404/405 elsewhere', async () => {
    const { a, ep } = await app();
    const hdr = { 'X-Answer-Port': listener.endpoint.port };
    const r406 = await rawRequest(ep.port, { path: '/command', body: '{"id":"conf","data":{}}', headers: { ...hdr, 'Content-Type': 'text/plain' } });
    assert.equal(r406.status, 406);
    assert.equal(r406.body, 'Not a JSON command!\n');
    const r400 = await rawRequest(ep.port, { path: '/command', body: '{"id": ', headers: { ...hdr, 'Content-Type': 'application/json' } });
    assert.equal(r400.status, 400);
    assert.match(r400.body, /Invalid JSON/);
    const noId = await rawRequest(ep.port, { path: '/command', body: '{"data":{}}', headers: { ...hdr, 'Content-Type': 'application/json; charset=utf-8' } });
    assert.equal(noId.status, 400);
    assert.match(noId.body, /no "id"/);
    assert.equal((await rawRequest(ep.port, { path: '/command', method: 'GET' })).status, 405);
    assert.equal((await rawRequest(ep.port, { path: '/nope', method: 'GET' })).status, 404);
    const ok = await rawRequest(ep.port, { path: '/command', body: '{"id":"x","data":{}}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(ok.status, 202);
    assert.equal(ok.body, 'Command received\n');
    assert.equal(ok.headers['content-type'], 'text/plain');
    assert.equal(a.status().state, 'INITIAL');
  });

  it('replies to the request address when X-Answer-Host is absent, without a JSON content type', async () => {
    const { ep } = await app();
    const seen: string[] = [];
    const http = await import('node:http');
    const srv = http.createServer((req, res) => {
      seen.push(String(req.headers['content-type']));
      req.resume();
      res.end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (srv.address() as import('node:net').AddressInfo).port;
      const r = await rawRequest(ep.port, { path: '/command', body: '{"id":"conf","data":{}}', headers: { 'Content-Type': 'application/json', 'X-Answer-Port': port } });
      assert.equal(r.status, 202);
      for (let i = 0; i < 50 && seen.length === 0; i++) await sleep(10);
      assert.deepEqual(seen, ['text/plain']);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('farm: a crash closes only that application, abruptly (connection refused afterwards)', async () => {
    const farm = new Farm({ name: 'ro', host: '127.0.0.1', port: 0, count: 3, sim: { crashOn: ['start'] }, logLine: () => undefined });
    apps.push(farm);
    const members = await farm.listen();
    assert.deepEqual(members.map((m) => m.name), ['ro-0000', 'ro-0001', 'ro-0002']);
    const ep = (i: number) => ({ host: '127.0.0.1', port: members[i].port });
    await send(ep(1), 'ro-0001', cmd('conf', 'INITIAL', 'CONFIGURED'));
    await assert.rejects(send(ep(1), 'ro-0001', cmd('start', 'CONFIGURED', 'READY'), { postTimeoutMs: 1000, replyTimeoutMs: 300 }), { kind: 'timeout' });
    assert.equal(await tcpPing('127.0.0.1', members[1].port, 500), false);
    await assert.rejects(send(ep(1), 'ro-0001', cmd('stop')), { kind: 'unreachable' });
    assert.equal(farm.apps[1].status().crashed, true);
    // The neighbours are untouched.
    assert.equal((await send(ep(0), 'ro-0000', cmd('conf', 'INITIAL', 'CONFIGURED'))).success, true);
    assert.equal(await tcpPing('127.0.0.1', members[2].port), true);
  });

  it('farm with a base port uses consecutive ports', async () => {
    const probe = new DaqApplication({ name: 'p', host: '127.0.0.1', port: 0 });
    const base = (await probe.listen()).port;
    await probe.close();
    const farm = new Farm({ name: 'c', host: '127.0.0.1', port: base, count: 2, logLine: () => undefined });
    apps.push(farm);
    let members;
    try {
      members = await farm.listen();
    } catch {
      return; // the neighbouring port happened to be taken: nothing to check
    }
    assert.deepEqual(members.map((m) => m.port), [base, base + 1]);
  });
});

describe('effectiveSimulation', () => {
  it('flags give defaults, command data overrides', () => {
    const sim: SimulationOptions = { delayMs: 5, delays: { conf: 50 }, failOn: { start: 'flag' }, crashOn: ['stop'], hangOn: ['scrap'] };
    assert.deepEqual(effectiveSimulation('conf', {}, sim), { delayMs: 50, fail: undefined, crash: false, hang: false });
    assert.deepEqual(effectiveSimulation('start', { simulate: { fail: 'data', delay_ms: 1 } }, sim), { delayMs: 1, fail: 'data', crash: false, hang: false });
    assert.equal(effectiveSimulation('stop', {}, sim).crash, true);
    assert.equal(effectiveSimulation('scrap', {}, sim).hang, true);
    assert.equal(effectiveSimulation('x', { modules: [{ match: '', data: { simulate: { hang: true } } }, { match: 'b', data: { simulate: { delay_ms: 7 } } }] }, {}).hang, true);
    assert.equal(effectiveSimulation('toString', {}, sim).delayMs, 5); // no prototype lookups
  });
});
