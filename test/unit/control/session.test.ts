import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { loadRunConfig } from '../../../src/core/config/load';
import { openLocalSession, type SessionHandle } from '../../../src/core/control/open-session';
import type { SessionEvent } from '../../../src/core/control/events';
import type { ExecutionReport } from '../../../src/core/control/report';
import { SessionError, type SequenceReport } from '../../../src/core/control/session';
import { sendCommand } from '../../../src/core/protocol/command';
import { SessionBusyError } from '../../../src/core/backends/local/session-lock';
import { ensureBuilt, isAlive, waitFor, writeSystem, type TestSystem } from '../../support/demo-system';

const THREE_SEGMENTS: TestSystem = {
  segments: [
    { name: 'dataflow', apps: [{ name: 'df-01', args: ['--delay-ms', '60'] }] },
    { name: 'trigger', apps: [{ name: 'mlt', args: ['--delay-ms', '60'] }] },
    { name: 'readout', apps: [{ name: 'ru-01', args: ['--delay-ms', '60'] }, { name: 'ru-02', args: ['--delay-ms', '60'] }] },
  ],
  order: { start: [['dataflow'], ['trigger'], ['readout']] },
};

describe('session (controller with real reference applications)', function () {
  this.timeout(30_000);
  const handles: SessionHandle[] = [];
  const pids = new Set<number>();

  before(ensureBuilt);

  async function open(sys: TestSystem) {
    const { file, batonDir } = writeSystem(sys);
    const handle = await openLocalSession(loadRunConfig(file), { batonDir });
    handles.push(handle);
    const events: SessionEvent[] = [];
    handle.session.events.subscribe((e) => {
      events.push(e);
      if (e.type === 'process' && e.pid) pids.add(e.pid);
    });
    return { handle, session: handle.session, events, file, batonDir };
  }

  afterEach(async () => {
    for (const h of handles.splice(0)) await h.close();
    for (const pid of pids) assert.equal(isAlive(pid), false, `process ${pid} was left running`);
    pids.clear();
  });

  it('boots, runs start_run/stop_run/shutdown and ends with no process left', async () => {
    const { session, events } = await open(THREE_SEGMENTS);
    assert.equal(session.state, 'none');
    const boot = await session.transition('boot');
    assert.equal(boot.ok, true, JSON.stringify(boot.failures));
    assert.equal(session.state, 'initial');
    for (const app of session.tree.apps) assert.ok(isAlive(app.process?.pid), `${app.name} should run`);
    const start = (await session.execute('start_run', { runType: 'TEST' })) as SequenceReport;
    assert.equal(start.ok, true, start.error);
    assert.deepEqual(start.steps.map((s) => s.transition), ['conf', 'start', 'enable_triggers']);
    assert.equal(session.state, 'running');
    const stop = (await session.execute('stop_run')) as SequenceReport;
    assert.deepEqual(stop.steps.map((s) => s.transition), ['disable_triggers', 'drain_dataflow', 'stop_trigger_sources', 'stop']);
    assert.equal(session.state, 'configured');
    const down = (await session.execute('shutdown')) as SequenceReport;
    assert.equal(down.ok, true, down.error);
    assert.deepEqual(down.skipped, ['disable_triggers', 'drain_dataflow', 'stop_trigger_sources', 'stop']);
    assert.equal(session.state, 'none');
    for (const app of session.tree.apps) assert.equal(app.process?.alive, false);
    const finished = events.filter((e) => e.type === 'transition' && e.phase === 'finished').map((e) => (e as { name: string }).name);
    assert.deepEqual(finished, ['boot', 'conf', 'start', 'enable_triggers', 'disable_triggers', 'drain_dataflow', 'stop_trigger_sources', 'stop', 'scrap', 'terminate']);
    const runs = events.filter((e) => e.type === 'run');
    assert.deepEqual(runs.map((r) => (r as { phase: string }).phase), ['started', 'stopped']);
  });

  it('starts groups in the configured order and stops them in reverse', async () => {
    const { session } = await open(THREE_SEGMENTS);
    await session.transition('boot');
    await session.transition('conf');
    const start = await session.transition('start');
    const seg = (r: ExecutionReport, name: string) => r.root.children!.find((c) => c.name === name)!;
    assert.ok(seg(start, 'dataflow').finishedAt! <= seg(start, 'trigger').startedAt!, 'trigger started before dataflow finished');
    assert.ok(seg(start, 'trigger').finishedAt! <= seg(start, 'readout').startedAt!, 'readout started before trigger finished');
    // Both readout apps ran in parallel: their windows overlap.
    const [a, b] = seg(start, 'readout').children!;
    assert.ok(a.startedAt! < b.finishedAt! && b.startedAt! < a.finishedAt!, 'readout apps did not run in parallel');
    await session.transition('enable_triggers');
    await session.transition('disable_triggers');
    await session.transition('drain_dataflow');
    await session.transition('stop_trigger_sources');
    const stop = await session.transition('stop');
    assert.ok(seg(stop, 'readout').finishedAt! <= seg(stop, 'trigger').startedAt!, 'stop is not the reverse of start');
    assert.ok(seg(stop, 'trigger').finishedAt! <= seg(stop, 'dataflow').startedAt!, 'stop is not the reverse of start');
  });

  it('refuses a transition the FSM does not allow, changing nothing', async () => {
    const { session } = await open(THREE_SEGMENTS);
    await assert.rejects(session.transition('start'), (e: Error) => e instanceof SessionError && /start is not allowed from none.*allowed: boot, abort/.test(e.message));
    assert.equal(session.state, 'none');
    await assert.rejects(session.execute('frobnicate'), /neither a transition nor a sequence/);
  });

  it('an application that crashes during a transition fails it at once, naming the application', async () => {
    const { session, events } = await open({ segments: [{ name: 's', apps: [{ name: 'ok-1' }, { name: 'bad', args: ['--crash-on', 'conf'] }] }], timeouts: { conf: '20s' } });
    await session.transition('boot');
    const conf = await session.transition('conf');
    assert.equal(conf.ok, false);
    assert.equal(conf.failures[0].outcome, 'failed', 'the crash must be noticed, not waited out until the timeout');
    assert.equal(conf.failures.length, 1);
    assert.equal(conf.failures[0].path, 's/bad');
    assert.match(conf.failures[0].reason!, /process died/);
    assert.equal(session.state, 'error');
    assert.equal(session.tree.app('ok-1')!.state, 'configured');
    assert.equal(session.tree.root.error?.from, 's/bad');
    assert.ok(events.some((e) => e.type === 'error' && e.path === 's/bad'));
  });

  it('an application that never answers times out without holding up the others', async () => {
    const { session } = await open({ segments: [{ name: 's', apps: [{ name: 'fast' }, { name: 'mute', args: ['--hang-on', 'conf'], timeouts: { conf: '700ms' } }] }] });
    await session.transition('boot');
    const conf = await session.transition('conf');
    const fast = conf.root.children![0].children!.find((c) => c.name === 'fast')!;
    const mute = conf.root.children![0].children!.find((c) => c.name === 'mute')!;
    assert.equal(fast.outcome, 'ok');
    assert.ok(fast.finishedAt! < mute.finishedAt!, 'fast waited for the mute application');
    assert.equal(mute.outcome, 'timeout');
    assert.match(mute.reason!, /no reply from mute to "conf" within 700 ?ms/);
    assert.equal(session.tree.app('mute')!.state, 'error');
  });

  it('an application that answers failure puts its node in error with its reason', async () => {
    const { session } = await open({ segments: [{ name: 's', apps: [{ name: 'a' }, { name: 'b', args: ['--fail-on', 'start=no beam today'] }] }] });
    await session.transition('boot');
    await session.transition('conf');
    const start = await session.transition('start', { runNumber: 77 });
    assert.equal(start.ok, false);
    assert.deepEqual(start.failures.map((f) => f.path), ['s/b']);
    assert.match(start.failures[0].reason!, /no beam today/);
    assert.equal(session.tree.app('b')!.error?.message.includes('no beam today'), true);
    // The failed start is recorded as such.
    const rec = await session.runs.records.get(77);
    assert.equal(rec?.outcome, 'failed');
  });

  it('an application that is busy or in another state rejects, and the reason is shown', async () => {
    const { session } = await open({ segments: [{ name: 's', apps: [{ name: 'a' }, { name: 'slow', args: ['--hang-on', 'enable_triggers'], timeouts: { enable_triggers: '400ms' } }] }] });
    await session.transition('boot');
    await session.transition('conf');
    // Someone else moved "a" back to INITIAL behind the controller's back.
    const a = session.tree.app('a')!;
    await sendCommand(session.listener, a.endpoint, 'a', { id: 'scrap', data: { modules: [] }, entry_state: 'CONFIGURED', exit_state: 'INITIAL' }, { postTimeoutMs: 2000, replyTimeoutMs: 2000 });
    const start = await session.transition('start');
    assert.deepEqual(start.failures.map((f) => f.path), ['s/a']);
    assert.match(start.failures[0].reason!, /CONFIGURED|state/i);

    // "slow" hangs on enable_triggers; after recovering, its next command finds it busy.
    const b = await open({ name: 'busy', segments: [{ name: 's', apps: [{ name: 'slow', args: ['--hang-on', 'enable_triggers'], timeouts: { enable_triggers: '400ms' } }] }] });
    await b.session.transition('boot');
    await b.session.transition('conf');
    await b.session.transition('start');
    const en = await b.session.transition('enable_triggers');
    assert.equal(en.failures[0].outcome, 'timeout');
    const rec = b.session.recover();
    assert.equal(rec.ok, true, rec.message);
    assert.equal(b.session.state, 'ready');
    const again = await b.session.transition('enable_triggers');
    assert.equal(again.failures[0].outcome, 'failed');
    assert.match(again.failures[0].reason!, /busy/i);
  });

  it('a port already taken fails boot for that application clearly, and abort leaves nothing behind', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { session } = await open({ segments: [{ name: 's', apps: [{ name: 'free' }, { name: 'taken', port }] }] });
      const boot = await session.transition('boot');
      assert.equal(boot.ok, false);
      assert.deepEqual(boot.failures.map((f) => f.path), ['s/taken']);
      assert.match(boot.failures[0].reason!, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      const pid = session.tree.app('free')!.process!.pid!;
      assert.ok(isAlive(pid));
      const abort = await session.abort();
      assert.equal(abort.ok, true);
      assert.equal(session.state, 'none');
      await waitFor('free to die', () => !isAlive(pid));
    } finally {
      blocker.close();
    }
  });

  it('an executable that does not exist fails boot with its name', async () => {
    const { session } = await open({ segments: [{ name: 's', apps: [{ name: 'x' }] }], execCommand: ['no-such-daq-application-binary'] });
    const boot = await session.transition('boot');
    assert.equal(boot.ok, false);
    assert.match(boot.failures[0].reason!, /no-such-daq-application-binary.*not found/);
    assert.equal(session.tree.app('x')!.state, 'error');
  });

  it('a malformed reply does not disturb the listener; the timeout decides', async () => {
    // An application that acknowledges with 202 and then answers garbage.
    const script = `
      const http = require('http');
      const [host, port] = process.argv[process.argv.length - 1].replace('rest://', '').split(':');
      http.createServer((req, res) => {
        let body = ''; req.on('data', (d) => body += d); req.on('end', () => {
          res.writeHead(202, {'Content-Type': 'text/plain'}); res.end('Command received\\n');
          const r = http.request({ host: req.headers['x-answer-host'] || '127.0.0.1', port: req.headers['x-answer-port'], method: 'POST', path: '/response' });
          r.on('error', () => {}); r.end('{"success": tru');
        });
      }).listen(Number(port), host);`;
    const { session } = await open({ segments: [{ name: 's', apps: [{ name: 'garbled', timeouts: { conf: '600ms' } }] }], execCommand: [process.execPath, '-e', script.replace(/[{}]/g, (b) => b + b), '--'] });
    const boot = await session.transition('boot');
    assert.equal(boot.ok, true, JSON.stringify(boot.failures));
    const conf = await session.transition('conf');
    assert.equal(conf.failures[0].outcome, 'timeout');
    // The listener still works for the next command (terminate needs none, so check it directly).
    assert.ok(session.listener.endpoint.port > 0);
    const abort = await session.abort();
    assert.equal(abort.ok, true);
  });

  it('a dead application is detected when it dies, not at the next command', async () => {
    const { session, events } = await open({ segments: [{ name: 's', apps: [{ name: 'steady' }, { name: 'doomed', args: ['--exit-after-ms', '1500'] }] }] });
    await session.transition('boot');
    await session.transition('conf');
    const died = await waitFor('doomed to be marked in error', () => session.tree.app('doomed')!.state === 'error', 8000);
    assert.ok(died);
    const exitEvent = events.find((e) => e.type === 'process' && e.app === 'doomed' && !e.alive);
    assert.ok(exitEvent);
    assert.match(session.tree.app('doomed')!.error!.message, /process died \(.*exit code 3/);
    assert.equal(session.state, 'error');
    // Excluding the dead application and recovering makes the rest usable again.
    await session.exclude('s/doomed');
    const rec = session.recover();
    assert.equal(rec.ok, true, rec.message);
    assert.equal(session.state, 'configured');
    const start = await session.transition('start');
    assert.equal(start.ok, true);
    assert.equal(start.root.children![0].children!.find((c) => c.name === 'doomed')!.outcome, 'skipped');
  });

  it('recover refuses while applications would disagree, and says how', async () => {
    const { session } = await open({ segments: [{ name: 's', apps: [{ name: 'a' }, { name: 'b', args: ['--crash-on', 'start'] }] }] });
    await session.transition('boot');
    await session.transition('conf');
    await session.transition('start');
    const r = session.recover();
    assert.equal(r.ok, false);
    assert.match(r.message, /ready: a; none: b|none: b; ready: a/);
    assert.match(r.message, /exclude|abort/);
  });

  it('abort during a transition cancels it and reaches none', async () => {
    const { session } = await open({ segments: [{ name: 's', apps: [{ name: 'a', args: ['--hang-on', 'conf'] }, { name: 'b' }] }], timeouts: { conf: '20s' } });
    await session.transition('boot');
    const pids = session.tree.apps.map((a) => a.process!.pid!);
    const conf = session.transition('conf');
    await waitFor('conf to be in progress', () => session.busy === 'conf');
    await assert.rejects(session.transition('start'), /conf is in progress/);
    const abort = await session.abort();
    const confReport = await conf;
    assert.equal(abort.ok, true);
    assert.equal(session.state, 'none');
    assert.ok(confReport.failures.some((f) => f.outcome === 'aborted'));
    for (const pid of pids) await waitFor(`pid ${pid} to die`, () => !isAlive(pid));
  });

  it('exclude and include send the DUNE commands and skip excluded nodes', async () => {
    const { session } = await open(THREE_SEGMENTS);
    await session.transition('boot');
    await session.transition('conf');
    const outs = await session.exclude('readout', { resourceName: 'apa-readout' });
    assert.deepEqual(outs.map((o) => o.outcome), ['ok', 'ok']);
    assert.equal(session.tree.find('readout')!.included, false);
    assert.equal(session.tree.app('ru-01')!.included, false);
    const start = await session.transition('start');
    assert.equal(start.ok, true);
    assert.equal(start.root.children!.find((c) => c.name === 'readout')!.outcome, 'skipped');
    assert.equal(session.state, 'ready');
    assert.equal(session.tree.app('ru-01')!.state, 'configured');
    // Bringing it back in: the tree is mixed until the segment catches up.
    await session.include('readout');
    assert.match(session.describeState(), /mixed \(2 ready, 2 configured\)/);
    await assert.rejects(session.transition('enable_triggers'), /mixed/);
    const caughtUp = await session.goto('ready', {}, 'readout');
    assert.deepEqual(caughtUp.map((r) => r.transition), ['start']);
    assert.equal(session.state, 'ready');
    // The segment joined the run in progress rather than opening another one.
    assert.equal(session.runs.active?.number, 1);
    assert.deepEqual((await session.runs.records.list()).map((r) => r.number), [1]);
  });

  it('takes run numbers from the registry and writes run records', async () => {
    const { session, batonDir } = await open(THREE_SEGMENTS);
    await session.transition('boot');
    for (const expected of [1, 2]) {
      await session.execute('start_run');
      assert.equal(session.runs.active?.number, expected);
      await session.execute('stop_run');
    }
    await session.execute('start_run', { runNumber: 40, runType: 'PROD' });
    await session.execute('stop_run');
    await session.execute('start_run');
    assert.equal(session.runs.active?.number, 41);
    await session.execute('stop_run');
    const rec = await session.runs.records.get(40);
    assert.equal(rec?.type, 'PROD');
    assert.equal(rec?.outcome, 'ok');
    assert.ok(fs.readFileSync(`${batonDir}/runs/40/config.baton.yaml`, 'utf8').includes('daq-app'));
  });

  it('a second controller of the same session is refused, and a later one reattaches', async () => {
    const { handle, session, file, batonDir } = await open(THREE_SEGMENTS);
    await session.transition('boot');
    await session.execute('start_run');
    await assert.rejects(openLocalSession(loadRunConfig(file), { batonDir }), (e: Error) => e instanceof SessionBusyError && /already controlled by process \d+/.test(e.message));
    assert.equal(session.state, 'running');
    const pids = session.tree.apps.map((a) => a.process!.pid!);
    await handle.close({ keepRunning: true });
    for (const pid of pids) assert.ok(isAlive(pid), 'keepRunning must leave the applications running');
    const again = await openLocalSession(loadRunConfig(file), { batonDir });
    handles.push(again);
    pids.forEach((p) => again.session.events.subscribe(() => undefined) && p);
    assert.equal(again.reattached, true);
    assert.equal(again.session.state, 'running');
    assert.equal(again.session.runs.active?.number, 1);
    const stop = (await again.session.execute('stop_run')) as SequenceReport;
    assert.equal(stop.ok, true, stop.error);
    await again.session.execute('shutdown');
    for (const pid of pids) await waitFor(`pid ${pid} to exit`, () => !isAlive(pid));
  });
});

describe('session reattach after the configuration changed', function () {
  this.timeout(30_000);
  before(ensureBuilt);
  it('kills recorded applications that the configuration no longer names', async () => {
    const sys: TestSystem = { segments: [{ name: 's', apps: [{ name: 'keep' }, { name: 'gone' }] }] };
    const { file, batonDir } = writeSystem(sys);
    const first = await openLocalSession(loadRunConfig(file), { batonDir });
    await first.session.transition('boot');
    const gonePid = first.session.tree.app('gone')!.process!.pid!;
    const keepPid = first.session.tree.app('keep')!.process!.pid!;
    await first.close({ keepRunning: true });
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/,\s*\{\s*"name": "gone"[^}]*\}/, ''));
    const config = loadRunConfig(file);
    assert.equal(config.root.children[0].kind === 'segment' && config.root.children[0].children.length, 1);
    const second = await openLocalSession(config, { batonDir });
    try {
      assert.equal(second.reattached, true);
      await waitFor('the unnamed application to be killed', () => !isAlive(gonePid));
      assert.ok(isAlive(keepPid));
      assert.equal(second.session.state, 'initial');
    } finally {
      await second.close();
    }
    await waitFor('keep to stop', () => !isAlive(keepPid));
  });
});

describe('session with a custom FSM from the configuration', function () {
  this.timeout(30_000);
  before(ensureBuilt);
  it('drives the applications through its own transitions and sequences', async () => {
    const fsm = `
  fsm:
    states: [none, initial, armed, taking, error]
    transitions:
      boot: {source: none, dest: initial}
      arm: {source: initial, dest: armed}
      go: {source: armed, dest: taking}
      halt: {source: taking, dest: armed}
      tweak: {source: "armed|taking"}
      disarm: {source: armed, dest: initial}
      terminate: {source: [initial, error], dest: none}
      abort: {source: "*", dest: none}
    sequences:
      cycle: ["[arm]", go, halt]
`;
    const { file, batonDir } = writeSystem({ segments: [{ name: 's', apps: [{ name: 'a' }, { name: 'b' }] }] });
    // Append under spec: the generated file is JSON, so rewrite it as YAML-compatible text.
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const yaml = (await import('yaml')).stringify(doc).replace(/^spec:\n/m, `spec:${fsm}`);
    fs.writeFileSync(file, yaml);
    const handle = await openLocalSession(loadRunConfig(file), { batonDir });
    try {
      const { session } = handle;
      assert.deepEqual(session.allowed(), ['boot', 'abort']);
      await session.transition('boot');
      const cycle = (await session.execute('cycle')) as SequenceReport;
      assert.equal(cycle.ok, true, cycle.error);
      assert.deepEqual(cycle.steps.map((s) => s.transition), ['arm', 'go', 'halt']);
      assert.equal(session.state, 'armed');
      const tweak = await session.transition('tweak');
      assert.equal(tweak.ok, true);
      assert.equal(session.state, 'armed', 'a transition without dest stays');
      assert.deepEqual(await session.goto('initial').then((r) => r.map((x) => x.transition)), ['disarm']);
      await assert.rejects(session.transition('conf'), /unknown transition "conf"/);
      await session.transition('terminate');
      assert.equal(session.state, 'none');
    } finally {
      await handle.close();
    }
  });
});
