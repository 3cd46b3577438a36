import assert from 'node:assert/strict';
import { TailBuffer } from '../../../src/extension/logs/tail-buffer';

describe('log tail buffer', () => {
  it('joins lines split across chunks, including a split "\\r\\n"', () => {
    const b = new TailBuffer();
    b.append('first li');
    b.append('ne\r');
    b.append('\nsecond line\nthi');
    assert.deepEqual(b.tail(), ['first line', 'second line', 'thi']);
    assert.equal(b.lineCount, 2);
    b.append('rd\n');
    assert.deepEqual(b.tail(), ['first line', 'second line', 'third']);
    assert.equal(b.text(), 'first line\nsecond line\nthird\n');
  });

  it('shows a partial last line without a newline after it', () => {
    const b = new TailBuffer();
    b.append('a\nb');
    assert.equal(b.text(), 'a\nb');
  });

  it('keeps only the last maxLines lines and says how many it dropped', () => {
    const b = new TailBuffer({ maxLines: 3 });
    for (let i = 1; i <= 10; i++) b.append(`line ${i}\n`);
    assert.deepEqual(b.tail(), ['line 8', 'line 9', 'line 10']);
    assert.equal(b.dropped, 7);
    assert.match(b.text(), /^\[baton: 7 earlier lines not shown; the full log is on disk\]\nline 8\n/);
  });

  it('keeps at most maxChars characters, even of one endless line', () => {
    const b = new TailBuffer({ maxChars: 100 });
    for (let i = 0; i < 50; i++) b.append(`${'x'.repeat(9)}${i % 10}\n`);
    assert.ok(b.tail().join('\n').length <= 100);
    assert.equal(b.tail().at(-1), 'xxxxxxxxx9');
    b.append('y'.repeat(1000));
    assert.ok(b.tail().at(-1)!.length <= 100);
  });

  it('starts over on reset with the reason on top', () => {
    const b = new TailBuffer({ maxLines: 2 });
    b.append('1\n2\n3\n');
    const v = b.version;
    b.reset('[baton: app.log was truncated; showing it from the start]');
    assert.ok(b.version > v);
    assert.equal(b.dropped, 0);
    b.append('new\n');
    assert.equal(b.text(), '[baton: app.log was truncated; showing it from the start]\nnew\n');
  });

  it('takes a burst of 200,000 lines in small and large chunks and ends with the right tail', () => {
    const b = new TailBuffer({ maxLines: 10_000 });
    let chunk = '';
    for (let i = 0; i < 200_000; i++) {
      chunk += `2026-01-01T00:00:00.000Z INFO [app] event ${i}\n`;
      // Chunk boundaries anywhere, as reads of a file being written produce them.
      if (chunk.length > 1 + (i % 7919)) {
        const cut = Math.floor(chunk.length / 2);
        b.append(chunk.slice(0, cut));
        b.append(chunk.slice(cut));
        chunk = '';
      }
    }
    b.append(chunk);
    const tail = b.tail();
    assert.equal(tail.length, 10_000);
    assert.equal(tail[0], '2026-01-01T00:00:00.000Z INFO [app] event 190000');
    assert.equal(tail.at(-1), '2026-01-01T00:00:00.000Z INFO [app] event 199999');
    assert.equal(b.dropped, 190_000);
  });
});
