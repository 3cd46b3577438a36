/**
 * One container's log as the kubelet keeps it: timestamped lines, bounded in size, with
 * followers for `?follow=true`. A partial line is held until its newline or the end.
 */

export interface LogLine {
  ts: string;
  text: string;
}

export interface LogQuery {
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

const MAX_BYTES = 2 * 1024 * 1024;

export class LogBuffer {
  private lines: LogLine[] = [];
  private bytes = 0;
  private partial = '';
  private readonly followers = new Set<{ write: (s: string) => void; end: () => void; timestamps: boolean }>();
  private ended = false;

  write(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.push(`${p}\n`);
  }

  private push(text: string): void {
    const line = { ts: new Date().toISOString().replace('Z', '000000Z').replace(/(\.\d{9})\d*Z$/, '$1Z'), text };
    this.lines.push(line);
    this.bytes += text.length;
    while (this.bytes > MAX_BYTES && this.lines.length > 1) this.bytes -= (this.lines.shift() as LogLine).text.length;
    for (const f of this.followers) f.write(f.timestamps ? `${line.ts} ${text}` : text);
  }

  /** The container stopped: flush the partial line and end every follower. */
  end(): void {
    if (this.partial) this.push(`${this.partial}\n`);
    this.partial = '';
    this.ended = true;
    for (const f of this.followers) f.end();
    this.followers.clear();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  read(q: LogQuery): string {
    let lines = this.lines;
    const since = q.sinceTime ? Date.parse(q.sinceTime) : q.sinceSeconds !== undefined ? Date.now() - q.sinceSeconds * 1000 : undefined;
    if (since !== undefined) lines = lines.filter((l) => Date.parse(l.ts) >= since);
    if (q.tailLines !== undefined) lines = q.tailLines <= 0 ? [] : lines.slice(-q.tailLines);
    let out = lines.map((l) => (q.timestamps ? `${l.ts} ${l.text}` : l.text)).join('');
    if (q.limitBytes !== undefined) out = out.slice(0, q.limitBytes);
    return out;
  }

  /** Streams new lines until the container ends (returns false when it already has) or the caller unsubscribes. */
  follow(write: (s: string) => void, end: () => void, timestamps: boolean): (() => void) | false {
    if (this.ended) return false;
    const f = { write, end, timestamps };
    this.followers.add(f);
    return () => this.followers.delete(f);
  }
}
