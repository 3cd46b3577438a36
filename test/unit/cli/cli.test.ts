import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { CLI, ensureBuilt, isAlive, waitFor, writeSystem, type TestSystem } from '../../support/demo-system';

const SYSTEM: TestSystem = {
  segments: [
    { name: 'dataflow', apps: [{ name: 'df-01', args: ['--delay-ms', '30'] }] },
    { name: 'readout', apps: [{ name: 'ru-01', args: ['--delay-ms', '30'] }, { name: 'ru-02', args: ['--delay-ms', '30'] }] },
  ],
  order: { start: [['dataflow'], ['readout']] },
};

interface Line {
  type: string;
  [k: string]: unknown;
}

function baton(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jsonLines(text: string): Line[] {
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
}

function pidsOf(lines: Line[]): number[] {
  return lines.filter((l) => l.type === 'process' && l.alive && typeof l.pid === 'number').map((l) => l.pid as number);
}

describe('baton CLI', function () {
  this.timeout(60_000);
  const children: ChildProcess[] = [];
  before(ensureBuilt);
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('runs the default steps with --json: one event per line, exit 0, nothing left running', () => {
    const { dir, file } = writeSystem(SYSTEM);
    const r = baton(['run', file, '--json'], dir);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const lines = jsonLines(r.stdout);
    const finished = lines.filter((l) => l.type === 'transition' && l.phase === 'finished').map((l) => l.name);
    assert.deepEqual(finished, ['boot', 'conf', 'start', 'enable_triggers', 'disable_triggers', 'drain_dataflow', 'stop_trigger_sources', 'stop', 'scrap', 'terminate']);
    const pids = pidsOf(lines);
    assert.equal(pids.length, 3);
    for (const pid of pids) assert.equal(isAlive(pid), false);
    assert.ok(lines.every((l) => typeof l.time === 'number'));
    assert.equal(fs.existsSync(`${dir}/.baton/sessions/test/processes.json`), false, 'a finished session leaves no process record');
  });

  it('accepts step arguments and prints readable progress without --json', () => {
    const { dir, file } = writeSystem(SYSTEM);
    const r = baton(['run', file, 'boot', 'start_run', '--run-number', '12', '--run-type', 'PROD', 'stop_run', 'shutdown'], dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /run 12 \(PROD\) started/);
    assert.match(r.stdout, /✓ conf 3\/3 in \d+ms -> configured/);
    const run = JSON.parse(fs.readFileSync(`${dir}/.baton/runs/12/run.json`, 'utf8'));
    assert.equal(run.type, 'PROD');
  });

  it('a failing step aborts, prints the execution report and exits 1 with no process left', () => {
    const sys: TestSystem = { segments: [{ name: 's', apps: [{ name: 'good' }, { name: 'bad', args: ['--fail-on', 'conf=link 3 is down'] }] }] };
    const { dir, file } = writeSystem(sys);
    const r = baton(['run', file, 'boot', 'conf', '--json'], dir);
    assert.equal(r.code, 1);
    const lines = jsonLines(r.stdout);
    const messages = lines.filter((l) => l.type === 'message').map((l) => l.message as string).join('\n');
    assert.match(messages, /conf failed: s\/bad failed \(.*link 3 is down/);
    assert.match(messages, /conf FAILED in/);
    assert.ok(lines.some((l) => l.type === 'transition' && l.name === 'abort' && l.phase === 'finished'));
    for (const pid of pidsOf(lines)) assert.equal(isAlive(pid), false);
  });

  it('a step the FSM refuses changes nothing and exits 1', () => {
    const { dir, file } = writeSystem(SYSTEM);
    const r = baton(['run', file, 'start'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /refused: start is not allowed from none/);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`killed with ${signal} mid-transition, it aborts and leaves no orphans`, async () => {
      const sys: TestSystem = { segments: [{ name: 's', apps: [{ name: 'a', args: ['--delay', 'conf=20000'] }, { name: 'b', args: ['--delay', 'conf=20000'] }] }], timeouts: { conf: '60s' } };
      const { dir, file } = writeSystem(sys);
      const child = spawn(process.execPath, [CLI, 'run', file, 'boot', 'conf', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      await waitFor('conf to start', () => out.includes('"name":"conf","path":"","done":0'), 20_000);
      const pids = pidsOf(jsonLines(out.slice(0, out.lastIndexOf('\n'))));
      assert.equal(pids.length, 2);
      child.kill(signal);
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      assert.equal(code, 130);
      for (const pid of pids) assert.equal(isAlive(pid), false, `application ${pid} survived ${signal}`);
      assert.match(out, /"name":"abort"/);
      assert.match(out, /conf FAILED in .*\\n.*a aborted/, 'the interrupted transition is reported');
    });
  }

  it('a second baton run of a live session is refused and disturbs nothing; status and a later run take over', async () => {
    const { dir, file } = writeSystem(SYSTEM);
    const first = baton(['run', file, 'boot', 'start_run', '--json'], dir);
    assert.equal(first.code, 0, first.stderr);
    const pids = pidsOf(jsonLines(first.stdout));
    for (const pid of pids) assert.ok(isAlive(pid), 'boot + start_run leaves the session running');

    // Hold the session with a controller that is busy in a long wait.
    const holder = spawn(process.execPath, [CLI, 'run', file, 'wait', '30', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(holder);
    let held = '';
    holder.stdout!.on('data', (d) => (held += d));
    await waitFor('the holder to reattach', () => held.includes('reattached'), 20_000);
    const second = baton(['run', file, 'stop_run'], dir);
    assert.equal(second.code, 3);
    assert.match(second.stderr, /session "test" is already controlled by process \d+.*nothing was changed/);
    for (const pid of pids) assert.ok(isAlive(pid));

    const status = baton(['status', file], dir);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /session test: live, controlled by process \d+, run 1 \(TEST\)/);
    assert.match(status.stdout, /ru-01 +running +pid \d+ up/);

    holder.kill('SIGKILL'); // a crashed controller: the applications outlive it
    await new Promise((r) => holder.on('exit', r));
    const after = baton(['status', file, '--json'], dir);
    const st = JSON.parse(after.stdout);
    assert.equal(st.controller.alive, false);
    assert.equal(st.live, true);

    const last = baton(['run', file, 'stop_run', 'shutdown'], dir);
    assert.equal(last.code, 0, last.stdout + last.stderr);
    assert.match(last.stdout, /reattached to session test \(running\)/);
    for (const pid of pids) await waitFor(`pid ${pid} to exit`, () => !isAlive(pid));
  });

  it('prints the FSM as mermaid and dot', () => {
    const m = baton(['fsm'], process.cwd());
    assert.equal(m.code, 0);
    assert.match(m.stdout, /^stateDiagram-v2/);
    assert.match(m.stdout, /enable_triggers/);
    const d = baton(['fsm', '--format', 'dot'], process.cwd());
    assert.match(d.stdout, /^digraph/);
    assert.match(d.stdout, /change_rate/);
  });

  it('reports usage and configuration errors with exit code 2', () => {
    const u = baton(['run'], process.cwd());
    assert.equal(u.code, 2);
    assert.match(u.stderr, /baton run needs a configuration file/);
    const { dir, file } = writeSystem(SYSTEM);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"exec": "daq-app"', '"exec": "daq-ap"'));
    const c = baton(['run', file], dir);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /system\.baton\.yaml:\d+:\d+: app "df-01" uses exec "daq-ap"/);
    const s = baton(['run', file, 'wait'], dir);
    assert.equal(s.code, 2);
  });
});
