import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { followFile, followStream, type LogSink, type LogSource } from '../../../src/extension/logs/log-source';
import { TailBuffer } from '../../../src/extension/logs/tail-buffer';
import { waitFor } from '../../support/demo-system';

/** A sink that records what it was told, and the text a TailBuffer would show. */
function recorder() {
  const buffer = new TailBuffer();
  const resets: string[] = [];
  const errors: string[] = [];
  let text = '';
  const sink: LogSink = {
    data: (t) => {
      text += t;
      buffer.append(t);
    },
    reset: (why) => {
      resets.push(why);
      text = '';
      buffer.reset(why);
    },
    error: (m) => errors.push(m),
  };
  return { sink, buffer, resets, errors, text: () => text };
}

describe('log sources (files written by real processes, streams)', function () {
  this.timeout(20_000);
  let dir: string;
  const sources: LogSource[] = [];
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-log-'));
  });

  afterEach(async () => {
    for (const s of sources.splice(0)) s.dispose();
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await gone;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function follow(file: string, sink: LogSink, opts: Parameters<typeof followFile>[2] = {}): LogSource {
    // No safety-net poll: these tests prove the change events alone are enough.
    const s = followFile(file, sink, { pollMs: 0, ...opts });
    sources.push(s);
    return s;
  }

  it('delivers the lines another process appends, in order, as it writes them', async () => {
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, 'booted\n');
    const r = recorder();
    await follow(file, r.sink).ready;
    assert.equal(r.text(), 'booted\n');
    const child = spawn(process.execPath, ['-e', `
      const fs = require('fs');
      let i = 0;
      const t = setInterval(() => {
        fs.appendFileSync(${JSON.stringify(file)}, 'line ' + i + '\\n');
        if (++i === 40) { clearInterval(t); }
      }, 5);`], { stdio: 'ignore' });
    children.push(child);
    await waitFor('40 lines', () => r.buffer.lineCount === 41, 10_000);
    assert.deepEqual(r.buffer.tail(), ['booted', ...Array.from({ length: 40 }, (_, i) => `line ${i}`)]);
    assert.deepEqual(r.resets, []);
  });

  it('reads only the end of a long existing log, from a line boundary', async () => {
    const file = path.join(dir, 'big.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `event ${String(i).padStart(6, '0')} ${'.'.repeat(40)}`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const r = recorder();
    await follow(file, r.sink, { initialBytes: 64 * 1024, chunkBytes: 4096 }).ready;
    const got = r.text().split('\n').filter(Boolean);
    assert.ok(got.length > 1000 && got.length < 2000, `${got.length} lines read`);
    assert.ok(lines.includes(got[0]), `starts at a whole line: ${got[0]}`);
    assert.equal(got.at(-1), lines.at(-1));
  });

  it('starts over when the file is truncated', async () => {
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, 'old 1\nold 2\n');
    const r = recorder();
    await follow(file, r.sink).ready;
    fs.truncateSync(file, 0);
    fs.appendFileSync(file, 'new\n');
    await waitFor('the truncation', () => r.resets.length === 1 && r.text() === 'new\n');
    assert.match(r.resets[0], /app\.log was truncated/);
    assert.equal(r.buffer.text(), `${r.resets[0]}\nnew\n`);
  });

  it('follows the new file when the log is rotated (renamed and recreated)', async () => {
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, 'before rotation, a rather long line so that the new file is shorter\n');
    const r = recorder();
    await follow(file, r.sink).ready;
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, 'after\n');
    await waitFor('the rotation', () => r.text() === 'after\n');
    assert.equal(r.resets.length, 1);
    assert.match(r.resets[0], /replaced \(rotated\)/);
    fs.appendFileSync(file, 'more\n');
    await waitFor('more', () => r.text() === 'after\nmore\n');
  });

  it('waits for a log that does not exist yet', async () => {
    const file = path.join(dir, 'later.log');
    const r = recorder();
    await follow(file, r.sink).ready;
    assert.equal(r.text(), '');
    fs.writeFileSync(file, 'hello\n');
    await waitFor('the new file', () => r.text() === 'hello\n');
  });

  it('decodes UTF-8 characters split between two reads', async () => {
    const file = path.join(dir, 'utf8.log');
    const line = 'température 25 °C — µs ✓ 🚀\n';
    fs.writeFileSync(file, line.repeat(50));
    const r = recorder();
    await follow(file, r.sink, { chunkBytes: 7 }).ready;
    assert.equal(r.text(), line.repeat(50));
  });

  it('stops reading once disposed', async () => {
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, 'a\n');
    const r = recorder();
    const s = follow(file, r.sink);
    await s.ready;
    s.dispose();
    fs.appendFileSync(file, 'b\n');
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(r.text(), 'a\n');
  });

  it('follows a stream of chunks (the Kubernetes log API seam) and closes it when disposed', async () => {
    const stream = new PassThrough();
    const r = recorder();
    const s = followStream(stream, r.sink);
    sources.push(s);
    const euro = Buffer.from('€');
    stream.write(Buffer.from('pod started\nprice 5'));
    stream.write(euro.subarray(0, 1));
    stream.write(Buffer.concat([euro.subarray(1), Buffer.from('\n')]));
    await waitFor('the chunks', () => r.buffer.lineCount === 2);
    assert.deepEqual(r.buffer.tail(), ['pod started', 'price 5€']);
    s.dispose();
    assert.equal(stream.destroyed, true);
  });
});
