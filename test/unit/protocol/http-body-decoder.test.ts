import assert from 'node:assert/strict';
import { BodyDecoder, BodyError } from '../../../src/core/protocol/http-body-decoder';

type Framing = number | 'chunked' | 'close';

interface Outcome {
  body: string;
  done: boolean;
  /** Bytes after the body (the next message), or what was left unparsed. */
  rest: string;
  error?: { code: string; status: number; message: string };
}

/**
 * Feeds `pieces` as a connection would: an unfinished tail is kept and put in front of the
 * next piece. Stops at the end of the body, at an error, or when the input runs out.
 */
function decode(framing: Framing, pieces: string[], strict: boolean, maxTrailerBytes = 256, stopAfter = Infinity): Outcome {
  const kept: Buffer[] = [];
  let seen = 0;
  const d = new BodyDecoder(
    (buf, from, to) => {
      assert.ok(to > from, 'the sink is never handed an empty range');
      kept.push(Buffer.from(buf.subarray(from, to)));
      seen += to - from;
      return seen <= stopAfter;
    },
    { strict, maxTrailerBytes },
  );
  if (framing === 'chunked') d.startChunked();
  else if (framing === 'close') d.startUntilClose();
  else d.startLength(framing);
  let pending: Buffer | undefined;
  const out = (rest: string, error?: BodyError): Outcome => ({
    body: Buffer.concat(kept).toString('latin1'),
    done: d.done,
    rest,
    error: error && { code: error.code, status: error.status, message: error.message },
  });
  for (let i = 0; i < pieces.length; i++) {
    const piece = Buffer.from(pieces[i], 'latin1');
    const buf = pending ? Buffer.concat([pending, piece]) : piece;
    pending = undefined;
    let off = 0;
    try {
      while (off < buf.length && !d.done) {
        const next = d.step(buf, off);
        if (next < 0) {
          pending = buf.subarray(off);
          break;
        }
        assert.ok(next > off, 'every step makes progress');
        off = next;
      }
    } catch (e) {
      if (!(e instanceof BodyError)) throw e;
      return out('', e);
    }
    if (d.done) return out(buf.toString('latin1', off) + pieces.slice(i + 1).join(''));
  }
  return out(pending ? pending.toString('latin1') : '');
}

/** Every way of cutting `text` in two, and one byte at a time. */
function splits(text: string): string[][] {
  const all: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) all.push([text.slice(0, i), text.slice(i)]);
  return all;
}

/** The outcome of `text` in one piece, checked to be the same however it is cut. */
function decodeAnyhow(framing: Framing, text: string, strict: boolean, maxTrailerBytes?: number): Outcome {
  const whole = decode(framing, [text], strict, maxTrailerBytes);
  for (const pieces of splits(text)) {
    assert.deepEqual(decode(framing, pieces, strict, maxTrailerBytes), whole, `cut as ${JSON.stringify(pieces.length > 2 ? 'bytes' : pieces)}`);
  }
  return whole;
}

const MODES = [
  { name: 'strict', strict: true },
  { name: 'lenient', strict: false },
];

describe('BodyDecoder', () => {
  for (const { name, strict } of MODES) {
    describe(name, () => {
      it('Content-Length: the body, then the bytes of the next message untouched', () => {
        assert.deepEqual(decodeAnyhow(5, 'héllo world', strict), { body: 'héllo', done: true, rest: ' world', error: undefined });
        assert.deepEqual(decode(0, ['next'], strict), { body: '', done: true, rest: 'next', error: undefined });
        assert.deepEqual(decode(10, ['short'], strict), { body: 'short', done: false, rest: '', error: undefined });
      });

      it('chunked with extensions and trailers, cut at every byte', () => {
        const text = '5;name=value\r\nhello\r\n7 ; q="a b"\r\n, world\r\nA\r\n0123456789\r\n0;last\r\nX-Checksum: 1\r\nX-Other:\t2\r\n\r\nNEXT';
        assert.deepEqual(decodeAnyhow('chunked', text, strict), { body: 'hello, world0123456789', done: true, rest: 'NEXT', error: undefined });
        assert.deepEqual(decodeAnyhow('chunked', '0\r\n\r\n', strict), { body: '', done: true, rest: '', error: undefined });
      });

      it('an unfinished chunked body is not done', () => {
        for (const text of ['5\r\nhel', '5\r\nhello\r\n', '0\r\nX: 1\r\n', '0\r\n\r']) {
          const r = decode('chunked', [text], strict);
          assert.equal(r.done, false, JSON.stringify(text));
          assert.equal(r.error, undefined);
        }
      });

      it('refuses bad chunk sizes, whichever way they arrive', () => {
        for (const line of ['zz', '', '-1', '+5', '0x5', '5 5', ';ext']) {
          const r = decodeAnyhow('chunked', `${line}\r\nhello\r\n0\r\n\r\n`, strict);
          assert.equal(r.error?.code, 'HPE_INVALID_CHUNK_SIZE', JSON.stringify(line));
          assert.equal(r.error?.status, 400);
          assert.match(r.error?.message ?? '', /invalid chunk size/);
        }
        const endless = decode('chunked', ['1'.repeat(2000)], strict);
        assert.deepEqual([endless.error?.code, endless.error?.message], ['HPE_INVALID_CHUNK_SIZE', 'chunk size line too long']);
      });

      it('refuses a chunk not followed by CRLF as soon as that is certain', () => {
        for (const text of ['3\r\nabcX\r\n0\r\n\r\n', '3\r\nabc\rX\n0\r\n\r\n', '3\r\nabc\r\r\n0\r\n\r\n']) {
          const r = decodeAnyhow('chunked', text, strict);
          assert.deepEqual([r.error?.code, r.error?.status, r.body], ['HPE_INVALID_CHUNK', 400, 'abc'], JSON.stringify(text));
        }
        // Only one byte after the data: nothing certain yet.
        assert.equal(decode('chunked', ['3\r\nabc\r'], strict).error, undefined);
      });

      it('a sink that gives up stops decoding without completing', () => {
        const r = decode(10, ['0123456789rest'], strict, 256, 4);
        assert.deepEqual([r.body, r.done], ['0123456789', false]);
        const c = decode('chunked', ['3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n'], strict, 256, 2);
        assert.deepEqual([c.body, c.done], ['abc', false]);
      });
    });
  }

  describe('strict (a server reading requests)', () => {
    it('wants CRLF after size lines and trailer lines', () => {
      assert.equal(decodeAnyhow('chunked', '5\nhello\r\n0\r\n\r\n', true).error?.message, 'chunk size line not ended by CRLF');
      assert.equal(decodeAnyhow('chunked', '5\r\nhello\n0\r\n\r\n', true).error?.code, 'HPE_INVALID_CHUNK');
      assert.equal(decodeAnyhow('chunked', '0\r\nX: 1\n\r\n', true).error?.message, 'trailer line not ended by CRLF');
      assert.equal(decodeAnyhow('chunked', '0\r\n\n', true).error?.message, 'trailer line not ended by CRLF');
    });

    it('takes sizes of up to 12 hex digits and extensions without control characters', () => {
      assert.equal(decode('chunked', ['ffffffffffff\r\nab'], true).error, undefined);
      assert.equal(decode('chunked', ['1000000000000\r\n'], true).error?.code, 'HPE_INVALID_CHUNK_SIZE');
      assert.equal(decodeAnyhow('chunked', '3;a\x01b\r\nabc\r\n0\r\n\r\n', true).error?.code, 'HPE_INVALID_CHUNK_SIZE');
      assert.equal(decodeAnyhow('chunked', ' 3\r\nabc\r\n0\r\n\r\n', true).error?.code, 'HPE_INVALID_CHUNK_SIZE');
    });

    it('refuses malformed trailer fields', () => {
      for (const field of ['No colon', ': empty name', 'Bad Name: x', 'X: a\x01b']) {
        const r = decodeAnyhow('chunked', `0\r\n${field}\r\n\r\n`, true);
        assert.deepEqual([r.error?.code, r.error?.status, r.error?.message], ['HPE_INVALID_HEADER_TOKEN', 400, 'invalid trailer'], JSON.stringify(field));
      }
    });

    it('bounds all trailer lines together (431)', () => {
      const line = `X-Pad: ${'p'.repeat(40)}\r\n`;
      assert.equal(decodeAnyhow('chunked', `0\r\n${line.repeat(2)}\r\n`, true, 100).done, true);
      const r = decodeAnyhow('chunked', `0\r\n${line.repeat(3)}\r\n`, true, 100);
      assert.deepEqual([r.error?.code, r.error?.status], ['HPE_HEADER_OVERFLOW', 431]);
      // An unfinished line counts too.
      assert.equal(decode('chunked', [`0\r\n${line.repeat(2)}X-Pad: ${'p'.repeat(40)}`], true, 100).error?.status, 431);
    });
  });

  describe('lenient (a client reading responses)', () => {
    it('accepts bare LF line ends and skips trailers without judging them', () => {
      assert.deepEqual(decodeAnyhow('chunked', '5\nhello\n3;x\nabc\n0\nnot a field\n\nNEXT', false), { body: 'helloabc', done: true, rest: 'NEXT', error: undefined });
      assert.deepEqual(decodeAnyhow('chunked', ' 3 ;a\x01b\r\nabc\r\n0\r\n\r\n', false).body, 'abc');
    });

    it('takes sizes of up to 8 hex digits', () => {
      assert.equal(decode('chunked', ['ffffffff\r\nab'], false).error, undefined);
      assert.equal(decode('chunked', ['100000000\r\n'], false).error?.code, 'HPE_INVALID_CHUNK_SIZE');
    });

    it('bounds one unfinished trailer line, not the sum of them', () => {
      const line = `X-Pad: ${'p'.repeat(40)}\r\n`;
      assert.equal(decodeAnyhow('chunked', `0\r\n${line.repeat(5)}\r\n`, false, 100).done, true);
      assert.equal(decode('chunked', [`0\r\nX-Pad: ${'p'.repeat(200)}`], false, 100).error?.code, 'HPE_HEADER_OVERFLOW');
    });

    it('a body delimited by the end of the connection', () => {
      const r = decode('close', ['all of ', 'it'], false);
      assert.deepEqual([r.body, r.done], ['all of it', false]);
      const d = new BodyDecoder(() => undefined, { strict: false, maxTrailerBytes: 1 });
      d.startUntilClose();
      assert.equal(d.endOfInput(), true);
      assert.equal(d.done, true);
      d.startLength(3);
      assert.equal(d.endOfInput(), false, 'a Content-Length body cut short is truncated, not complete');
      assert.equal(d.done, false);
    });
  });
});
