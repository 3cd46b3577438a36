import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isProcessAlive } from '../../src/core/util/process-info';

export const REPO = path.resolve(__dirname, '../..');
export const DAQ_APP = path.join(REPO, 'dist/daq-app.js');
export const CLI = path.join(REPO, 'bin/baton.js');

let built = false;
/** The tests drive the bundled reference app and CLI, exactly as users run them. */
export function ensureBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, [path.join(REPO, 'esbuild.mjs')], { cwd: REPO, stdio: 'inherit' });
  built = true;
}

export interface TestApp {
  name: string;
  /** Extra arguments for the reference app, e.g. ['--fail-on', 'start=no beam']. */
  args?: string[];
  port?: number;
  commands?: Record<string, unknown>;
  timeouts?: Record<string, string>;
}

export interface TestSegment {
  name: string;
  apps?: TestApp[];
  segments?: TestSegment[];
  order?: Record<string, string[][]>;
}

export interface TestSystem {
  name?: string;
  segments: TestSegment[];
  order?: Record<string, string[][]>;
  timeouts?: Record<string, string>;
  execCommand?: string[];
  extra?: string;
}

/** A run configuration of reference applications in a fresh temp directory. */
export function writeSystem(sys: TestSystem): { dir: string; file: string; batonDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-test-'));
  const file = path.join(dir, 'system.baton.yaml');
  const doc = {
    apiVersion: 'baton.dev/v1alpha1',
    kind: 'RunConfig',
    metadata: { name: sys.name ?? 'test' },
    spec: {
      backend: 'local',
      execs: {
        'daq-app': {
          command: sys.execCommand ?? [process.execPath, DAQ_APP],
          args: ['--name', '{name}', '-c', 'rest://{host}:{port}'],
          env: { PATH: 'getenv' },
        },
      },
      timeouts: { default: '5s', boot: '10s', ...(sys.timeouts ?? {}) },
      terminateGrace: '1s',
      segments: sys.segments.map(seg),
      ...(sys.order ? { order: sys.order } : {}),
    },
  };
  // JSON is valid YAML; the reader must not care.
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + (sys.extra ?? ''));
  return { dir, file, batonDir: path.join(dir, '.baton') };
}

function seg(s: TestSegment): Record<string, unknown> {
  return {
    name: s.name,
    ...(s.apps ? { apps: s.apps.map((a) => ({ name: a.name, exec: 'daq-app', port: a.port ?? 'auto', args: a.args ?? [], ...(a.commands ? { commands: a.commands } : {}), ...(a.timeouts ? { timeouts: a.timeouts } : {}) })) } : {}),
    ...(s.segments ? { segments: s.segments.map(seg) } : {}),
    ...(s.order ? { order: s.order } : {}),
  };
}

/** Alive and not a zombie: the project's own check. */
export function isAlive(pid: number | undefined): boolean {
  return pid !== undefined && pid > 0 && isProcessAlive(pid);
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
