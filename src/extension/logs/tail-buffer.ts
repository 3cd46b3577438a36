// The end of a growing log, bounded: the last `maxLines` complete lines (and at most
// `maxChars` characters), plus the line being written. Pure (no 'vscode', no fs), so the
// follower can feed it from a file, a Kubernetes log stream or anything that yields text.

export interface TailBufferOptions {
  maxLines?: number;
  maxChars?: number;
}

export class TailBuffer {
  readonly maxLines: number;
  readonly maxChars: number;
  private lines: string[] = [];
  /** Index of the first kept line in `lines` (dropping from the front is O(1), compacted now and then). */
  private head = 0;
  private chars = 0;
  private partial = '';
  /** Complete lines dropped to stay within the bounds since the last reset. */
  dropped = 0;
  /** Increases with every change; lets a reader skip work when nothing changed. */
  version = 0;
  private notes: string[] = [];

  constructor(opts: TailBufferOptions = {}) {
    this.maxLines = Math.max(1, opts.maxLines ?? 10_000);
    this.maxChars = Math.max(1, opts.maxChars ?? 4 * 1024 * 1024);
  }

  /** Appends text as it arrived: it may end in the middle of a line (or even of "\r\n"). */
  append(chunk: string): void {
    if (chunk === '') return;
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop()!;
    for (const p of parts) this.push(p.endsWith('\r') ? p.slice(0, -1) : p);
    // A single enormous line without a newline must not grow without bound either.
    if (this.partial.length > this.maxChars) this.partial = this.partial.slice(-this.maxChars);
    this.trim();
    this.version++;
  }

  /**
   * Forgets everything (the file was truncated or replaced), keeping a note that says so at
   * the top, so the reader is not left wondering where the old lines went.
   */
  reset(note?: string): void {
    this.lines = [];
    this.head = 0;
    this.chars = 0;
    this.partial = '';
    this.dropped = 0;
    this.notes = note ? [note] : [];
    this.version++;
  }

  /** Complete lines kept (the partial line not included). */
  get lineCount(): number {
    return this.lines.length - this.head;
  }

  /** The kept lines, oldest first; the partial line last when there is one. */
  tail(): string[] {
    const out = this.lines.slice(this.head);
    if (this.partial !== '') out.push(this.partial.endsWith('\r') ? this.partial.slice(0, -1) : this.partial);
    return out;
  }

  /** The document text: notes about dropped or reset content, then the lines. */
  text(): string {
    const head = [...this.notes];
    if (this.dropped > 0) head.push(`[baton: ${this.dropped} earlier line${this.dropped === 1 ? '' : 's'} not shown; the full log is on disk]`);
    const body = this.tail();
    return [...head, ...body].join('\n') + (this.partial === '' && body.length > 0 ? '\n' : '');
  }

  private push(line: string): void {
    this.lines.push(line);
    this.chars += line.length + 1;
  }

  private trim(): void {
    while (this.lines.length - this.head > this.maxLines || (this.chars > this.maxChars && this.lines.length - this.head > 0)) {
      this.chars -= this.lines[this.head].length + 1;
      this.head++;
      this.dropped++;
    }
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }
}
