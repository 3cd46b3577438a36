import * as fs from 'node:fs';

/** The line Baton writes into an application's log before each start. */
export const START_MARKER = '--- baton: ';

/**
 * The last `count` non-empty lines an application wrote since its latest start (logs are
 * appended across restarts, and an error message must quote THIS run, not an older one).
 * Reads only the end of the file, so a huge log costs nothing.
 */
export function readLogTail(file: string, count = 5, maxBytes = 64 * 1024): string[] {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    let text = buf.toString('utf8');
    const marker = text.lastIndexOf(START_MARKER);
    if (marker >= 0) {
      const eol = text.indexOf('\n', marker);
      text = eol < 0 ? '' : text.slice(eol + 1);
    }
    return text
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .slice(-count);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
