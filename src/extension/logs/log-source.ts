// Where a followed log's text comes from: a file on disk that another process appends to
// (local backend), or a stream of chunks (the Kubernetes backend's log API). No 'vscode':
// the follower in log-follower.ts turns what these deliver into document changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

export interface LogSink {
  /** New text, in order; may end in the middle of a line. */
  data(text: string): void;
  /** What was delivered so far is void (the file was truncated or replaced); text follows from its start. */
  reset(reason: string): void;
  /** The source cannot continue (the reason is shown to the reader). */
  error?(message: string): void;
}

export interface LogSource {
  /** Settles once the text available at the start has been delivered (a reader may wait for it). */
  ready?: Promise<void>;
  dispose(): void;
}

export interface FileFollowOptions {
  /** Bytes of an existing file read at first (the rest before it is skipped). Default 1 MiB. */
  initialBytes?: number;
  /** Largest read in one go, so a burst never blocks on one huge buffer. Default 256 KiB. */
  chunkBytes?: number;
  /** Safety-net poll for file systems whose change events are unreliable. Default 1000 ms; 0 = none. */
  pollMs?: number;
}

/**
 * Follows a file: reads the end once, then only the bytes appended after each change event,
 * asynchronously and one read at a time. Watches the directory rather than the file, so a
 * log replaced by rotation (a new inode under the same name) is noticed; a file that
 * shrinks was truncated. Either way the reader gets `reset` and the text from the start.
 */
export function followFile(file: string, sink: LogSink, opts: FileFollowOptions = {}): LogSource {
  const initialBytes = opts.initialBytes ?? 1024 * 1024;
  const chunkBytes = opts.chunkBytes ?? 256 * 1024;
  let offset = -1;
  let ino: number | undefined;
  let decoder = new StringDecoder('utf8');
  let reading = false;
  let again = false;
  let disposed = false;
  let missingReported = false;

  const read = async (): Promise<void> => {
    if (disposed) return;
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        await readOnce();
      } while (again && !disposed);
    } finally {
      reading = false;
    }
  };

  const readOnce = async (): Promise<void> => {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (!missingReported && offset >= 0) sink.reset(`[baton: ${path.basename(file)} was removed; waiting for it to come back]`);
        missingReported = true;
        offset = 0;
        ino = undefined;
        return;
      }
      throw err;
    }
    missingReported = false;
    let skipPartialLine = false;
    if (offset < 0) {
      // First read: only the end of a long log.
      offset = Math.max(0, st.size - initialBytes);
      skipPartialLine = offset > 0;
      ino = st.ino;
    } else if (ino !== undefined && st.ino !== ino) {
      sink.reset(`[baton: ${path.basename(file)} was replaced (rotated); showing the new file]`);
      offset = 0;
      ino = st.ino;
      decoder = new StringDecoder('utf8');
    } else if (st.size < offset) {
      sink.reset(`[baton: ${path.basename(file)} was truncated; showing it from the start]`);
      offset = 0;
      decoder = new StringDecoder('utf8');
    }
    ino ??= st.ino;
    if (st.size <= offset) return;
    const fh = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(chunkBytes, st.size - offset));
      while (offset < st.size && !disposed) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, st.size - offset), offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        let text = decoder.write(buf.subarray(0, bytesRead));
        if (skipPartialLine) {
          const eol = text.indexOf('\n');
          if (eol < 0) continue;
          text = text.slice(eol + 1);
          skipPartialLine = false;
        }
        if (text) sink.data(text);
      }
    } finally {
      await fh.close();
    }
  };

  const attempt = () => read().catch((err: Error) => sink.error?.(`${file}: ${err.message}`));
  const kick = () => void attempt();
  let watcher: fs.FSWatcher | undefined;
  try {
    const base = path.basename(file);
    watcher = fs.watch(path.dirname(file), { persistent: false }, (_event, name) => {
      if (name === null || name === base || name.toString() === base) kick();
    });
    watcher.on('error', () => undefined);
  } catch (err) {
    sink.error?.(`cannot watch ${path.dirname(file)}: ${(err as Error).message}; polling instead`);
  }
  const pollMs = opts.pollMs ?? 1000;
  const poll = pollMs > 0 ? setInterval(kick, watcher ? pollMs : Math.min(pollMs, 250)) : undefined;
  poll?.unref?.();
  const ready = attempt();
  return {
    ready,
    dispose() {
      disposed = true;
      watcher?.close();
      if (poll) clearInterval(poll);
    },
  };
}

/**
 * Follows a stream of chunks, e.g. the Kubernetes log API's `follow=true` response or an
 * async iterator over it. Disposing stops reading (and closes the stream when it can).
 */
export function followStream(source: AsyncIterable<Buffer | string> | NodeJS.ReadableStream, sink: LogSink): LogSource {
  const decoder = new StringDecoder('utf8');
  let disposed = false;
  const iterable = source as AsyncIterable<Buffer | string>;
  const iterator = iterable[Symbol.asyncIterator]();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await iterator.next();
        if (done || disposed) break;
        const text = typeof value === 'string' ? value : decoder.write(value);
        if (text) sink.data(text);
      }
      const rest = decoder.end();
      if (rest && !disposed) sink.data(rest);
    } catch (err) {
      if (!disposed) sink.error?.((err as Error).message);
    }
  })();
  return {
    dispose() {
      if (disposed) return;
      disposed = true;
      void iterator.return?.()?.catch(() => undefined);
      const destroyable = source as { destroy?: () => void };
      if (typeof destroyable.destroy === 'function') destroyable.destroy();
    },
  };
}
