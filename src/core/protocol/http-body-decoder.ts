/**
 * The HTTP/1.1 message-body framing shared by the lean client and the lean server:
 * Content-Length, chunked (size line with extensions, data, CRLF, trailers) and, for
 * responses, delimited by the connection closing (RFC 9112 6 and 7.1).
 *
 * Fed in place from the connection's buffers, so that a body costs no copy and no
 * stream: `step` consumes one piece and returns the new offset, or -1 when the piece
 * is not complete yet (the caller keeps the tail and calls again with more bytes).
 */

/** Body bytes `buf[from..to)`; returning false stops decoding (the caller gave up on the message). */
export type BodySink = (buf: Buffer, from: number, to: number) => boolean | void;

export interface BodyDecoderOptions {
  /**
   * A server is strict (it must not guess at the framing of what it is sent: that is how
   * requests get smuggled): CRLF line ends, well-formed extensions and trailer fields.
   * A client is lenient towards the server it chose to talk to: bare LF accepted,
   * trailers only skipped.
   */
  strict: boolean;
  /** Strict: all trailer lines together. Lenient: one unfinished line. */
  maxTrailerBytes: number;
}

/** Malformed framing: `code` in the style of node's parser, `status` to answer a request with. */
export class BodyError extends Error {
  constructor(
    readonly code: string,
    readonly status: 400 | 431,
    message: string,
  ) {
    super(message);
  }
}

const enum Phase {
  Done,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
}

/** A size line this long without its end is not a size line. */
const MAX_SIZE_LINE = 1024;
// Control characters in these patterns are the point: they are what must be refused.
/* eslint-disable no-control-regex */
const STRICT_SIZE = /^([0-9a-fA-F]{1,12})[ \t]*(;[^\x00-\x08\x0a-\x1f\x7f]*)?$/;
/** A field name (RFC 9110 5.1); trailers and heads share the field syntax. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB are not allowed in field values. */
export const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
/* eslint-enable no-control-regex */
const LENIENT_SIZE = /^\s*([0-9a-fA-F]{1,8})\s*(?:;|$)/;

export class BodyDecoder {
  private phase = Phase.Done;
  private remaining = 0;
  private trailerBytes = 0;

  constructor(
    private readonly sink: BodySink,
    private readonly opts: BodyDecoderOptions,
  ) {}

  /** The body is complete (also true before any start). */
  get done(): boolean {
    return this.phase === Phase.Done;
  }

  startLength(length: number): void {
    this.remaining = length;
    this.phase = length > 0 ? Phase.Length : Phase.Done;
  }

  startChunked(): void {
    this.phase = Phase.ChunkSize;
  }

  startUntilClose(): void {
    this.phase = Phase.UntilClose;
  }

  /** The connection ended: true when that completes the body rather than truncating it. */
  endOfInput(): boolean {
    if (this.phase !== Phase.UntilClose) return false;
    this.phase = Phase.Done;
    return true;
  }

  /** Decodes one piece from `off` (< buf.length); throws BodyError on malformed framing. */
  step(buf: Buffer, off: number): number {
    switch (this.phase) {
      case Phase.Length:
      case Phase.ChunkData: {
        const n = Math.min(this.remaining, buf.length - off);
        this.remaining -= n;
        if (this.sink(buf, off, off + n) === false) return buf.length;
        if (this.remaining === 0) this.phase = this.phase === Phase.Length ? Phase.Done : Phase.ChunkDataEnd;
        return off + n;
      }
      case Phase.ChunkSize:
        return this.sizeLine(buf, off);
      case Phase.ChunkDataEnd: {
        if (buf[off] === 10 && !this.opts.strict) {
          this.phase = Phase.ChunkSize;
          return off + 1;
        }
        if (buf[off] !== 13) throw new BodyError('HPE_INVALID_CHUNK', 400, 'chunk not followed by CRLF');
        if (off + 1 === buf.length) return -1;
        if (buf[off + 1] !== 10) throw new BodyError('HPE_INVALID_CHUNK', 400, 'chunk not followed by CRLF');
        this.phase = Phase.ChunkSize;
        return off + 2;
      }
      case Phase.Trailers:
        return this.trailerLine(buf, off);
      case Phase.UntilClose:
        this.sink(buf, off, buf.length);
        return buf.length;
      default:
        return buf.length;
    }
  }

  private sizeLine(buf: Buffer, off: number): number {
    const eol = buf.indexOf(10, off);
    if (eol < 0) {
      if (buf.length - off > MAX_SIZE_LINE) throw new BodyError('HPE_INVALID_CHUNK_SIZE', 400, 'chunk size line too long');
      return -1;
    }
    const cr = eol > off && buf[eol - 1] === 13;
    if (this.opts.strict && !cr) throw new BodyError('HPE_INVALID_CHUNK_SIZE', 400, 'chunk size line not ended by CRLF');
    const line = buf.toString('latin1', off, cr ? eol - 1 : eol);
    const m = (this.opts.strict ? STRICT_SIZE : LENIENT_SIZE).exec(line);
    if (!m) throw new BodyError('HPE_INVALID_CHUNK_SIZE', 400, `invalid chunk size ${JSON.stringify(line.slice(0, 40))}`);
    const size = parseInt(m[1], 16);
    if (size > 0) {
      this.remaining = size;
      this.phase = Phase.ChunkData;
    } else {
      this.trailerBytes = 0;
      this.phase = Phase.Trailers;
    }
    return eol + 1;
  }

  private trailerLine(buf: Buffer, off: number): number {
    const strict = this.opts.strict;
    const max = this.opts.maxTrailerBytes;
    const eol = buf.indexOf(10, off);
    if (eol < 0) {
      if ((strict ? this.trailerBytes : 0) + buf.length - off > max) throw new BodyError('HPE_HEADER_OVERFLOW', 431, 'trailers too large');
      return -1;
    }
    const cr = eol > off && buf[eol - 1] === 13;
    if (strict) {
      if (!cr) throw new BodyError('HPE_INVALID_HEADER_TOKEN', 400, 'trailer line not ended by CRLF');
      this.trailerBytes += eol + 1 - off;
      if (this.trailerBytes > max) throw new BodyError('HPE_HEADER_OVERFLOW', 431, 'trailers too large');
    }
    const end = cr ? eol - 1 : eol;
    if (end === off) {
      this.phase = Phase.Done;
    } else if (strict) {
      const line = buf.toString('latin1', off, end);
      const colon = line.indexOf(':');
      if (colon <= 0 || !TOKEN.test(line.slice(0, colon)) || BAD_VALUE.test(line.slice(colon + 1))) throw new BodyError('HPE_INVALID_HEADER_TOKEN', 400, 'invalid trailer');
    }
    return eol + 1;
  }
}
