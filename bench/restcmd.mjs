// Measures restcmd run-control overhead: N applications (farm mode, child process),
// one command each with a fixed simulated work time. Prints figures; never asserts.
//   node bench/restcmd.mjs [--apps 1000] [--delay-ms 200] [--rounds 3] [--host 127.0.0.1]
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '1000' },
    'delay-ms': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const N = Number(values.apps);
const DELAY = Number(values['delay-ms']);
const ROUNDS = Number(values.rounds);
const HOST = values.host;

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
await esbuild.build({
  entryPoints: { protocol: join(root, 'src/core/protocol/index.ts'), 'daq-app': join(root, 'src/daq-app/main.ts') },
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', outdir: dir, logLevel: 'warning',
});
const proto = createRequire(import.meta.url)(join(dir, 'protocol.js'));

const child = spawn(process.execPath, [join(dir, 'daq-app.js'), '--name', 'bench', '-c', `rest://${HOST}:0`, '--farm', String(N), '--delay-ms', String(DELAY)], { stdio: ['ignore', 'pipe', 'inherit'] });
const members = await new Promise((resolve, reject) => {
  let buf = '';
  child.stdout.on('data', (c) => {
    buf += c;
    const nl = buf.indexOf('\n');
    if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)).farm);
  });
  child.once('exit', (code) => reject(new Error(`farm exited ${code}`)));
});

const listener = await proto.ResponseListener.start({ host: HOST });
const ms = (x) => x.toFixed(1).padStart(7);
try {
  for (let round = 0; round < ROUNDS; round++) {
    const cmd = proto.prepareCommand({ id: `cmd${round}`, data: { modules: [{ match: '', data: { run: round } }] } });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const replies = members.map((m) => {
      const p = proto.sendCommand(listener, { host: HOST, port: m.port }, m.name, cmd, { postTimeoutMs: 10_000, replyTimeoutMs: 30_000 });
      return p;
    });
    const tPosted = performance.now(); // all requests issued (synchronous part)
    // time until every 202 is in: measured separately with postCommand on a no-op below
    const results = await Promise.allSettled(replies);
    const tDone = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const failed = results.filter((r) => r.status === 'rejected');
    console.log(
      `round ${round} (${round === 0 ? 'new connections' : 'keep-alive'}): issue ${ms(tPosted - t0)} ms, ` +
        `all replies ${ms(tDone - t0)} ms, overhead over ${DELAY} ms work ${ms(tDone - t0 - DELAY)} ms, controller CPU ${ms((cpu.user + cpu.system) / 1000)} ms` +
        (failed.length ? `, ${failed.length} FAILED: ${failed[0].reason?.message}` : ''),
    );
  }
  // Fan-out alone: time until all N apps acknowledged (202) a command.
  for (let round = 0; round < 2; round++) {
    const cmd = proto.prepareCommand({ id: `ack${round}`, data: {} });
    const pending = members.map((m) => listener.expect(m.name, `ack${round}`, { timeoutMs: 30_000 }));
    const t0 = performance.now();
    await Promise.all(members.map((m) => proto.postCommand({ host: HOST, port: m.port }, cmd, listener.endpoint, { timeoutMs: 10_000 })));
    const tAck = performance.now();
    await Promise.allSettled(pending);
    const tRep = performance.now();
    console.log(`fan-out ${round}: all ${N} acknowledged (202) in ${ms(tAck - t0)} ms; all replies in ${ms(tRep - t0)} ms`);
  }
} finally {
  await listener.close();
  proto.resetSharedAgent();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
