import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { AppLaunchSpec, AppProcessInfo, ProcessManager, StartOptions } from '../../src/core/backends/process-manager';
import { parseRunConfig } from '../../src/core/config/load';
import type { SessionHandle } from '../../src/core/control/open-session';
import { Session } from '../../src/core/control/session';

/**
 * A ProcessManager whose applications all live in one reference-app process started in
 * `--farm N` mode: a real child process with N real restcmd servers, for scale tests and
 * benchmarks where N separate Node processes would measure process start-up, not run
 * control. "Starting" an application looks up its port in the farm; the farm process
 * dying kills them all, as it would.
 */
export class FarmProcessManager implements ProcessManager {
  readonly kind = 'farm';
  private child?: ChildProcess;
  private members?: Promise<Map<string, number>>;
  private readonly infos = new Map<string, AppProcessInfo>();
  private readonly listeners = new Set<(i: AppProcessInfo) => void>();

  constructor(private readonly opts: { daqApp: string; name: string; count: number; args?: string[]; host?: string }) {}

  /** Starts the farm (once) and resolves with every member's port. */
  launch(): Promise<Map<string, number>> {
    this.members ??= new Promise((resolve, reject) => {
      const host = this.opts.host ?? '127.0.0.1';
      const child = spawn(process.execPath, [this.opts.daqApp, '--name', this.opts.name, '-c', `rest://${host}:0`, '--farm', String(this.opts.count), ...(this.opts.args ?? [])], { stdio: ['ignore', 'pipe', 'inherit'] });
      this.child = child;
      const lines = readline.createInterface({ input: child.stdout! });
      lines.once('line', (line) => {
        try {
          const farm = (JSON.parse(line) as { farm: Array<{ name: string; port: number }> }).farm;
          resolve(new Map(farm.map((m) => [m.name, m.port])));
        } catch (err) {
          reject(new Error(`farm printed something else than its member list: ${line.slice(0, 200)} (${(err as Error).message})`));
        }
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        reject(new Error(`farm exited before listening (code ${code}, signal ${signal})`));
        for (const info of this.infos.values()) {
          if (!info.alive) continue;
          info.alive = false;
          info.exitCode = code;
          info.signal = signal;
          for (const l of this.listeners) l({ ...info });
        }
      });
    });
    return this.members;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(spec: AppLaunchSpec, _opts: StartOptions): Promise<AppProcessInfo> {
    const members = await this.launch();
    const port = members.get(spec.name);
    if (port === undefined) throw new Error(`application "${spec.name}" is not a member of the farm`);
    const info: AppProcessInfo = { name: spec.name, host: this.opts.host ?? '127.0.0.1', port, pid: this.child!.pid, alive: true, startedAt: Date.now() };
    this.infos.set(spec.name, info);
    return { ...info };
  }

  async stop(name: string): Promise<AppProcessInfo | undefined> {
    return this.markStopped(name);
  }

  async kill(name: string): Promise<AppProcessInfo | undefined> {
    return this.markStopped(name);
  }

  info(name: string): AppProcessInfo | undefined {
    const i = this.infos.get(name);
    return i && { ...i };
  }

  list(): AppProcessInfo[] {
    return [...this.infos.values()].map((i) => ({ ...i }));
  }

  onExit(listener: (info: AppProcessInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async dispose(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
  }

  private async markStopped(name: string): Promise<AppProcessInfo | undefined> {
    const info = this.infos.get(name);
    if (!info || !info.alive) return info;
    info.alive = false;
    info.expected = true;
    for (const l of this.listeners) l({ ...info });
    if ([...this.infos.values()].every((i) => !i.alive)) await this.dispose();
    return { ...info };
  }
}

/**
 * A session over a farm, shaped like `openSession`'s handle so a front end can adopt it;
 * closing it also stops the farm. The configuration is `configText`, as if read from `dir`.
 */
export async function openFarmSession(configText: string, dir: string, pm: FarmProcessManager): Promise<SessionHandle> {
  const session = await Session.open(parseRunConfig(configText, path.join(dir, 'farm.baton.yaml')), { batonDir: dir, processManager: pm });
  return {
    session,
    sessionDir: dir,
    reattached: false,
    lost: [],
    async close() {
      await session.close();
      await pm.dispose();
    },
  };
}
