import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRunConfig } from '../../../src/core/config/load';
import type { SessionEvent } from '../../../src/core/control/events';
import { Session, type SequenceReport } from '../../../src/core/control/session';
import { TimelineModel, type TimelineBar, type TimelineTransition } from '../../../src/core/control/timeline';
import { DashboardFeed, type DashboardMessage, type NodeRow, type SessionHeader, type SnapshotMessage } from '../../../src/extension/dashboard/dashboard-feed';
import { DAQ_APP, ensureBuilt } from '../../support/demo-system';
import { FarmProcessManager } from '../../support/farm-process-manager';

const APPS = 1000;
const SEGMENTS = 10;

function farmConfig(): string {
  const per = APPS / SEGMENTS;
  const segs: string[] = [];
  for (let s = 0; s < SEGMENTS; s++) {
    const names: string[] = [];
    for (let i = s * per; i < (s + 1) * per; i++) names.push(`        - {name: farm-${String(i).padStart(4, '0')}, exec: farm}`);
    segs.push(`    - name: seg-${s}\n      apps:\n${names.join('\n')}`);
  }
  return `apiVersion: baton.dev/v1alpha1\nkind: RunConfig\nmetadata: {name: feed}\nspec:\n  execs:\n    farm: {command: [unused]}\n  timeouts: {default: 30s}\n  segments:\n${segs.join('\n')}\n`;
}

/** Folds messages the way the webview script does (media/dashboard/dashboard.js). */
class WebviewMirror {
  session?: SessionHeader;
  readonly nodes = new Map<string, NodeRow>();
  readonly timeline = new Map<number, TimelineTransition>();
  apply(m: DashboardMessage): void {
    if (m.type === 'empty') return;
    this.session = m.session;
    if (m.type === 'snapshot') {
      this.nodes.clear();
      this.timeline.clear();
      for (const t of m.timeline) this.timeline.set(t.id, structuredClone(t));
    }
    for (const n of m.nodes) this.nodes.set(n.path, n);
    if (m.type === 'delta' && m.timeline) {
      for (const id of m.timeline.removed) this.timeline.delete(id);
      for (const h of m.timeline.transitions) {
        const t = this.timeline.get(h.id);
        if (t) Object.assign(t, h);
        else this.timeline.set(h.id, { ...h, bars: [] });
      }
      for (const { id, bar } of m.timeline.bars) {
        const t = this.timeline.get(id)!;
        const i = t.bars.findIndex((b) => b.path === bar.path);
        if (i >= 0) t.bars[i] = bar;
        else t.bars.push(bar);
      }
    }
  }
}

describe('dashboard feed (a real session of 1,000 farm applications)', function () {
  this.timeout(60_000);
  let session: Session | undefined;
  let pm: FarmProcessManager | undefined;
  let feed: DashboardFeed | undefined;
  let batonDir: string;

  before(ensureBuilt);

  afterEach(async () => {
    feed?.dispose();
    feed = undefined;
    await session?.abort().catch(() => undefined);
    await session?.close();
    session = undefined;
    await pm?.dispose();
    pm = undefined;
    fs.rmSync(batonDir, { recursive: true, force: true });
  });

  it('sends one snapshot, then coalesced deltas that add up to the live picture', async () => {
    batonDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-feed-'));
    pm = new FarmProcessManager({ daqApp: DAQ_APP, name: 'farm', count: APPS, args: ['--delay-ms', '30'] });
    session = await Session.open(parseRunConfig(farmConfig(), 'feed.baton.yaml'), { batonDir, processManager: pm });
    const timeline = new TimelineModel({ errorState: session.fsm.errorState });
    let events = 0;
    session.events.subscribe((e: SessionEvent) => {
      events++;
      timeline.handle(e);
    });
    assert.equal((await session.transition('boot')).ok, true);

    const posted: DashboardMessage[] = [];
    const mirror = new WebviewMirror();
    feed = new DashboardFeed(session, timeline, (m) => {
      posted.push(m);
      mirror.apply(m);
    });
    const snapshot = feed.snapshot();
    mirror.apply(snapshot);
    assert.equal(snapshot.nodes.filter((n) => n.kind === 'app').length, APPS);
    assert.equal(snapshot.nodes.length, 1 + SEGMENTS + APPS);
    assert.deepEqual(snapshot.timeline.map((t) => t.name), ['boot'], 'the boot recorded before the feed started is in the snapshot');
    assert.equal(snapshot.timeline[0].bars.length, APPS);
    assert.equal(snapshot.session.state, 'initial');

    const before = events;
    const run = (await session.execute('start_run', { runType: 'TEST' })) as SequenceReport;
    assert.equal(run.ok, true, run.error);
    await new Promise((r) => setTimeout(r, 50)); // the last coalesced delta
    const during = events - before;
    const deltas = posted.filter((m) => m.type === 'delta');
    assert.ok(during > 3 * APPS, `${during} events during start_run`);
    assert.ok(deltas.length > 0);
    // At most one delta per interval (16 ms): a timer never fires early, so this holds on any machine.
    for (let i = 1; i < deltas.length; i++) {
      const gap = (deltas[i] as { now: number }).now - (deltas[i - 1] as { now: number }).now;
      assert.ok(gap >= 15, `deltas ${i - 1} and ${i} only ${gap} ms apart`);
    }
    assert.ok(deltas.length < during / 10, `${deltas.length} deltas for ${during} events`);
    // No delta carries more than the tree has: changed nodes only, each once.
    for (const d of deltas) if (d.type === 'delta') assert.equal(new Set(d.nodes.map((n) => n.path)).size, d.nodes.length);

    // What the webview folded from the deltas is what a fresh snapshot says now.
    const fresh: SnapshotMessage = feed.snapshot();
    assert.deepEqual(mirror.session, fresh.session);
    assert.equal(mirror.session!.state, 'running');
    assert.equal(mirror.session!.busy, undefined);
    assert.deepEqual(mirror.session!.run?.number, session.runs.active?.number);
    for (const n of fresh.nodes) assert.deepEqual(mirror.nodes.get(n.path), n, n.path);
    const byId = (ts: Iterable<TimelineTransition>) => [...ts].sort((a, b) => a.id - b.id).map((t) => ({ ...t, bars: [...t.bars].sort((a: TimelineBar, b: TimelineBar) => a.path.localeCompare(b.path)) }));
    assert.deepEqual(byId(mirror.timeline.values()), byId(fresh.timeline));
    assert.deepEqual(fresh.timeline.map((t) => [t.name, t.bars.length, t.ok]), [
      ['boot', APPS, true],
      ['conf', APPS, true],
      ['start', APPS, true],
      ['enable_triggers', APPS, true],
    ]);
  });

  it('reports the transition in progress with where it comes from and goes to', async () => {
    batonDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-feed-'));
    pm = new FarmProcessManager({ daqApp: DAQ_APP, name: 'farm', count: APPS, args: ['--delay-ms', '200'] });
    session = await Session.open(parseRunConfig(farmConfig(), 'feed.baton.yaml'), { batonDir, processManager: pm });
    const timeline = new TimelineModel({ errorState: session.fsm.errorState });
    session.events.subscribe((e) => timeline.handle(e));
    await session.transition('boot');
    const posted: DashboardMessage[] = [];
    feed = new DashboardFeed(session, timeline, (m) => posted.push(m));
    const conf = session.transition('conf');
    const busy = await waitForMessage(posted, (m) => m.type === 'delta' && m.session.busy?.name === 'conf' && m.session.busy.done > 0);
    assert.equal(busy.session.busy!.from, 'initial');
    assert.equal(busy.session.busy!.to, 'configured');
    assert.equal(busy.session.busy!.total, APPS);
    await conf;
    const done = await waitForMessage(posted, (m) => m.type === 'delta' && m.session.busy === undefined && m.session.state === 'configured');
    assert.equal(done.session.stateText, 'configured');
  });
});

async function waitForMessage(posted: DashboardMessage[], fn: (m: DashboardMessage) => boolean): Promise<Exclude<DashboardMessage, { type: 'empty' }>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = posted.find(fn);
    if (m && m.type !== 'empty') return m;
    if (Date.now() > deadline) throw new Error('timed out waiting for a message');
    await new Promise((r) => setTimeout(r, 10));
  }
}
