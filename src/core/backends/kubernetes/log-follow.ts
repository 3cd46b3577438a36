import * as fs from 'node:fs';
import { Writable } from 'node:stream';
import { kube } from './client';
import { describeKubeError, type KubeAccess } from './kube-access';

/**
 * Follows a container's log through the log API into a local file, so that the log
 * viewers of the local backend work unchanged and the log outlives the pod (which
 * terminate deletes). One request per application, held open while it runs.
 */
export class LogFollower {
  private controller?: AbortController;
  private stopped = false;
  private fd?: number;
  /** Bytes of log copied so far (the header not counted). */
  bytes = 0;
  readonly done: Promise<void>;
  private markDone!: () => void;

  constructor(
    private readonly access: KubeAccess,
    private readonly namespace: string,
    private readonly pod: string,
    private readonly container: string,
    readonly file: string,
    private readonly log: (msg: string) => void = () => undefined,
  ) {
    this.done = new Promise((resolve) => (this.markDone = resolve));
  }

  /** `sinceTime` (RFC 3339): only lines after it, e.g. when resuming a log already partly copied. */
  async start(header: string, sinceTime?: string): Promise<void> {
    try {
      this.fd = fs.openSync(this.file, 'a', 0o644);
      fs.writeSync(this.fd, header);
    } catch (err) {
      this.log(`cannot write ${this.file}: ${(err as Error).message}`);
      this.finish();
      return;
    }
    const fd = this.fd;
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.bytes += chunk.length;
        fs.write(fd, chunk, (err) => cb(err ?? undefined));
      },
      final: (cb) => {
        this.finish();
        cb();
      },
    });
    sink.on('error', () => this.finish());
    // A broken response (the server went away) does not end what it is piped into: watch
    // the response itself, and end after the writes already queued.
    const endSink = () => {
      if (!sink.writableEnded) sink.end();
    };
    sink.on('pipe', (source: NodeJS.ReadableStream) => {
      source.once('error', endSink);
      source.once('close', endSink);
    });
    try {
      const controller = await new (kube().Log)(this.access.kc).log(this.namespace, this.pod, this.container, sink, { follow: true, sinceTime });
      if (this.stopped) controller.abort();
      else this.controller = controller;
    } catch (err) {
      if (!this.stopped) this.log(`log of pod ${this.pod}: ${describeKubeError(err, `follow the log of pod ${this.pod}`, this.access)}`);
      this.finish();
    }
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    this.finish();
  }

  private finish(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = undefined;
    }
    this.markDone();
  }
}
