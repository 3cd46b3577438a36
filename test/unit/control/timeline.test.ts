import assert from 'node:assert/strict';
import { loadRunConfig } from '../../../src/core/config/load';
import { openLocalSession, type SessionHandle } from '../../../src/core/control/open-session';
import type { SessionEvent } from '../../../src/core/control/events';
import type { SequenceReport } from '../../../src/core/control/session';
import { barDuration, TimelineModel, type TimelineBar, type TimelineDelta, type TimelineTransition } from '../../../src/core/control/timeline';
import { ensureBuilt, isAlive, waitFor, writeSystem, type TestSystem } from '../../support/demo-system';

/** What a front end holds after applying every delta it was sent. */
class Mirror {
  readonly transitions = new Map<number, TimelineTransition>();
  apply(d: TimelineDelta): void {
    for (const id of d.removed) this.transitions.delete(id);
    for (const h of d.transitions) {
      const t = this.transitions.get(h.id);
      if (t) Object.assign(t, h);
      else this.transitions.set(h.id, { ...h, bars: [] });
    }
    for (const { id, bar } of d.bars) {
      const t = this.transitions.get(id);
      if (!t) throw new Error(`bar for unknown transition ${id}`);
      const i = t.bars.findIndex((b) => b.path === bar.path);
      if (i >= 0) t.bars[i] = bar;
      else t.bars.push(bar);
    }
  }
}

const SLOW: TestSystem = {
  segments: [
    { name: 'dataflow', apps: [{ name: 'df-01', args: ['--delay-ms', '20'] }, { name: 'df-02', args: ['--delay-ms', '20'] }] },
    { name: 'readout', apps: [{ name: 'ru-fast', args: ['--delay-ms', '20'] }, { name: 'ru-slow', args: ['--delay-ms', '20', '--delay', 'conf=400'] }] },
  ],
};

describe('timeline model (fed by a real session of reference applications)', function () {
  this.timeout(30_000);
  const handles: SessionHandle[] = [];
  const pids = new Set<number>();

  before(ensureBuilt);

  async function open(sys: TestSystem, keep?: number, drainEvery = 7) {
    const { file, batonDir } = writeSystem(sys);
    const handle = await openLocalSession(loadRunConfig(file), { batonDir });
    handles.push(handle);
    const model = new TimelineModel({ keep, errorState: handle.session.fsm.errorState });
    const mirror = new Mirror();
    let events = 0;
    handle.session.events.subscribe((e: SessionEvent) => {
      events++;
      model.handle(e);
      if (e.type === 'process' && e.pid) pids.add(e.pid);
      // Drain at arbitrary points, as a front end flushing once per frame would.
      if (drainEvery > 0 && events % drainEvery === 0) {
        const d = model.drain();
        if (d) mirror.apply(d);
      }
    });
    return { session: handle.session, model, mirror };
  }

  afterEach(async () => {
    for (const h of handles.splice(0)) await h.close();
    for (const pid of pids) assert.equal(isAlive(pid), false, `process ${pid} was left running`);
    pids.clear();
  });

  it('has one bar per application per transition, and names the slow application', async () => {
    const { session, model, mirror } = await open(SLOW);
    assert.equal((await session.transition('boot')).ok, true);
    const run = (await session.execute('start_run', { runType: 'TEST' })) as SequenceReport;
    assert.equal(run.ok, true, run.error);

    const ts = model.transitions();
    assert.deepEqual(ts.map((t) => t.name), ['boot', 'conf', 'start', 'enable_triggers']);
    for (const t of ts) {
      assert.equal(t.ok, true, t.name);
      assert.ok(t.finishedAt! >= t.startedAt);
      assert.deepEqual(t.bars.map((b) => b.path).sort(), ['dataflow/df-01', 'dataflow/df-02', 'readout/ru-fast', 'readout/ru-slow']);
      for (const b of t.bars) {
        assert.equal(b.outcome, 'ok', `${t.name} ${b.path}`);
        assert.ok(b.start !== undefined && b.end !== undefined && b.end >= b.start, `${t.name} ${b.path}: ${b.start}..${b.end}`);
        assert.ok(b.start >= t.startedAt && b.end <= t.finishedAt!, `${t.name} ${b.path} lies inside its transition`);
      }
    }
    const conf = ts[1];
    assert.equal(conf.slowest, 'readout/ru-slow');
    const slow = conf.bars.find((b) => b.name === 'ru-slow')!;
    assert.ok(barDuration(slow)! >= 400, `ru-slow took ${barDuration(slow)} ms`);
    // The bars agree with the execution report the session returned.
    const reported = run.steps[0].root.children!.flatMap((s) => s.children!).find((a) => a.name === 'ru-slow')!;
    assert.equal(slow.start, reported.startedAt);
    assert.equal(slow.end, reported.finishedAt);

    // A front end applying only deltas ends up with the same picture.
    const last = model.drain();
    if (last) mirror.apply(last);
    assert.deepEqual(sortBars([...mirror.transitions.values()]), sortBars(model.transitions()));
    assert.equal(model.drain(), undefined, 'nothing changed since the last drain');
  });

  it('keeps only the last N transitions and reports the dropped ones', async () => {
    const { session, model } = await open({ segments: [{ name: 's', apps: [{ name: 'a1' }, { name: 'a2' }] }] }, 2, 0);
    await session.transition('boot');
    const first = model.transitions()[0].id;
    await session.transition('conf');
    model.drain();
    await session.transition('start', { runType: 'TEST' });
    const d = model.drain()!;
    assert.deepEqual(d.removed, [first]);
    assert.deepEqual(model.transitions().map((t) => t.name), ['conf', 'start']);
    assert.ok(d.transitions.every((t) => t.id !== first));
    await session.execute('shutdown');
  });

  it('marks a failing application and the ones an earlier group blocked', async () => {
    const { session, model } = await open({
      segments: [
        { name: 'dataflow', apps: [{ name: 'df', args: ['--fail-on', 'conf=disk full'] }] },
        { name: 'readout', apps: [{ name: 'ru' }] },
      ],
      order: { conf: [['dataflow'], ['readout']] },
    });
    await session.transition('boot');
    const r = await session.transition('conf');
    assert.equal(r.ok, false);
    const conf = model.transitions().find((t) => t.name === 'conf')!;
    assert.equal(conf.ok, false);
    const df = conf.bars.find((b) => b.name === 'df')!;
    assert.equal(df.outcome, 'failed');
    assert.match(df.reason ?? '', /disk full/);
    const ru = conf.bars.find((b) => b.name === 'ru')!;
    assert.equal(ru.outcome, 'skipped');
    assert.equal(ru.start, undefined, 'never attempted, so no bar');
    assert.match(ru.reason ?? '', /not attempted/);
    await session.abort();
  });

  it('ends the bars of a transition cut short by abort as aborted', async () => {
    const { session, model } = await open({ segments: [{ name: 's', apps: [{ name: 'quick' }, { name: 'stuck', args: ['--hang-on', 'conf'] }] }] });
    await session.transition('boot');
    const conf = session.transition('conf');
    await waitFor('quick to finish conf', () => model.transitions().some((t) => t.name === 'conf' && t.bars.some((b) => b.name === 'quick' && b.outcome === 'ok')));
    const running = model.transitions().find((t) => t.name === 'conf')!;
    assert.equal(running.ok, undefined, 'still in progress');
    assert.equal(running.bars.find((b) => b.name === 'stuck')!.outcome, 'running');
    assert.equal(running.slowest, 's/stuck', 'while running, the longest-running application is the slowest');
    await session.abort('test');
    await conf;
    const ts = model.transitions();
    const done = ts.find((t) => t.name === 'conf')!;
    assert.equal(done.bars.find((b) => b.name === 'stuck')!.outcome, 'aborted');
    assert.equal(done.bars.find((b) => b.name === 'quick')!.outcome, 'ok');
    const abort = ts.find((t) => t.name === 'abort')!;
    assert.equal(abort.ok, true);
    assert.deepEqual(abort.bars.map((b) => b.name).sort(), ['quick', 'stuck']);
  });

  it('follows a burst of 100,000 node events for 1,000 applications (bars begin once, end once)', () => {
    const model = new TimelineModel({ errorState: 'error' });
    let time = 1000;
    model.handle({ type: 'transition', phase: 'started', name: 'conf', path: '', done: 0, total: 1000, time });
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 1000; i++) model.handle({ type: 'node', kind: 'app', path: `s/a${i}`, state: 'initial', transition: 'conf', included: true, time: time++ });
      model.drain();
      for (let i = 0; i < 1000; i++) model.handle({ type: 'node', kind: 'segment', path: 's', state: 'mixed', included: true, time: time++ });
    }
    for (let i = 0; i < 1000; i++) model.handle({ type: 'node', kind: 'app', path: `s/a${i}`, state: i === 500 ? 'error' : 'configured', error: i === 500 ? 'bad' : undefined, included: true, time: time + (i === 3 ? 5000 : i) });
    model.handle({ type: 'transition', phase: 'finished', name: 'conf', path: '', done: 1000, total: 1000, time: time + 6000 });
    const [t] = model.transitions();
    assert.equal(t.bars.length, 1000);
    assert.equal(t.slowest, 's/a3');
    assert.equal(t.ok, false);
    assert.equal(t.bars[500].outcome, 'failed');
    assert.equal(t.bars[500].reason, 'bad');
  });
});

function sortBars(ts: TimelineTransition[]): TimelineTransition[] {
  const byPath = (a: TimelineBar, b: TimelineBar) => a.path.localeCompare(b.path);
  return ts.map((t) => ({ ...t, bars: [...t.bars].sort(byPath) })).sort((a, b) => a.id - b.id);
}

