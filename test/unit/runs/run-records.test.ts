import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunRecords, normaliseRunType } from '../../../src/core/runs/run-records';

const CONFIG = 'apiVersion: baton.dev/v1alpha1\nkind: RunConfig\nmetadata: {name: coldbox}\n';

describe('RunRecords', () => {
  let dir: string;
  let records: RunRecords;
  beforeEach(async () => {
    dir = path.join(await fs.promises.mkdtemp(path.join(os.tmpdir(), 'baton-records-')), '.baton', 'runs');
    records = new RunRecords(dir);
  });
  afterEach(() => fs.promises.rm(path.dirname(path.dirname(dir)), { recursive: true, force: true }));

  it('begin writes run.json and a copy of the configuration', async () => {
    const rec = await records.begin({
      number: 42,
      type: 'test',
      session: 'coldbox',
      configPath: '/work/coldbox.baton.yaml',
      configText: CONFIG,
      startedAt: new Date('2025-01-02T03:04:05Z'),
    });
    assert.deepEqual(rec, {
      number: 42,
      type: 'TEST',
      session: 'coldbox',
      configPath: '/work/coldbox.baton.yaml',
      configFile: 'config.baton.yaml',
      startedAt: '2025-01-02T03:04:05.000Z',
    });
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, '42', 'run.json'), 'utf8')), rec);
    assert.equal(fs.readFileSync(path.join(dir, '42', 'config.baton.yaml'), 'utf8'), CONFIG);
    assert.deepEqual(await records.get(42), rec);
    assert.equal(await records.get(43), undefined);
  });

  it('refuses to reuse a run number', async () => {
    await records.begin({ number: 7, type: 'PROD', session: 'coldbox', configText: CONFIG });
    await assert.rejects(records.begin({ number: 7, type: 'TEST', session: 'other', configText: 'x' }), /^Error: run 7 already exists \(.*7\); run numbers are never reused$/);
    assert.equal((await records.get(7))?.session, 'coldbox', 'the first record is untouched');
  });

  it('two simultaneous begins of one number: exactly one wins', async () => {
    const results = await Promise.allSettled([
      records.begin({ number: 9, type: 'TEST', session: 'a', configText: CONFIG }),
      records.begin({ number: 9, type: 'TEST', session: 'b', configText: CONFIG }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  });

  it('validates run type, number and times', async () => {
    assert.equal(normaliseRunType(' Prod '), 'PROD');
    await assert.rejects(records.begin({ number: 1, type: 'DEV', session: 's', configText: '' }), /run type must be TEST or PROD, got "DEV"/);
    await assert.rejects(records.begin({ number: 0, type: 'TEST', session: 's', configText: '' }), /positive integer/);
    await assert.rejects(records.begin({ number: 2, type: 'TEST', session: 's', configText: '', startedAt: 'yesterday' }), /startedAt: not a valid time/);
  });

  it('end records stop time, outcome and note, once', async () => {
    await records.begin({ number: 3, type: 'TEST', session: 'coldbox', configText: CONFIG, startedAt: 0 });
    const ended = await records.end(3, { stoppedAt: 60_000, outcome: 'aborted', note: 'FELIX card lost' });
    assert.equal(ended.stoppedAt, '1970-01-01T00:01:00.000Z');
    assert.equal(ended.outcome, 'aborted');
    assert.equal(ended.note, 'FELIX card lost');
    assert.deepEqual(await records.get(3), ended);
    await assert.rejects(records.end(3), /run 3 already ended at 1970-01-01T00:01:00.000Z/);
    await assert.rejects(records.end(4), /run 4 has no record/);
    await records.begin({ number: 5, type: 'TEST', session: 'coldbox', configText: CONFIG });
    assert.equal((await records.end(5)).outcome, 'ok', 'default outcome');
    // @ts-expect-error invalid outcome on purpose
    await assert.rejects(records.end(5, { outcome: 'meh' }), /run outcome must be/);
  });

  it('lists runs by number, skipping foreign directories', async () => {
    assert.deepEqual(await records.list(), []);
    for (const n of [10, 2, 33]) await records.begin({ number: n, type: 'TEST', session: 's', configText: CONFIG });
    fs.mkdirSync(path.join(dir, 'notes'));
    fs.mkdirSync(path.join(dir, '99')); // no run.json
    assert.deepEqual((await records.list()).map((r) => r.number), [2, 10, 33]);
  });
});
