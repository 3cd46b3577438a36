import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KUBECONFIG_MARKER } from '../../support/kube-sim';
import { waitFor } from './helpers';

const SCRIPT = path.resolve(__dirname, '../../../scripts/sim-cluster.ts');

describe('scripts/sim-cluster.ts (npm run sim:cluster)', function () {
  this.timeout(30_000);
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-cluster-'));
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const start = (...args: string[]): { child: ChildProcess; out: () => string; code: Promise<number | null> } => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
    return { child, out: () => out, code: new Promise((r) => child.once('close', (c) => r(c))) };
  };

  it('writes a kubeconfig, serves the nodes asked for, and removes its file on Ctrl-C', async () => {
    const file = path.join(dir, 'kubeconfig');
    const s = start('--nodes', '3', '--kubeconfig', file, '--labels', 'node-0:felix.cern/card=true', '--extended', 'node-0:felix.cern/card=2');
    await waitFor('ready line', () => s.out().includes(`export KUBECONFIG=${file}`), 20_000);
    const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(s.out())?.[1];
    assert.ok(url, s.out());
    assert.ok(fs.readFileSync(file, 'utf8').startsWith(KUBECONFIG_MARKER));
    const nodes = (await (await fetch(`${url}/api/v1/nodes`)).json()) as { items: Array<{ metadata: { name: string; labels: Record<string, string> }; status: { allocatable: Record<string, string> } }> };
    assert.deepEqual(nodes.items.map((n) => n.metadata.name), ['node-0', 'node-1', 'node-2']);
    assert.equal(nodes.items[0].metadata.labels['felix.cern/card'], 'true');
    assert.equal(nodes.items[0].status.allocatable['felix.cern/card'], '2');
    s.child.kill('SIGINT');
    assert.equal(await s.code, 0);
    assert.equal(fs.existsSync(file), false);
  });

  it('refuses to overwrite a kubeconfig it did not write, and bad arguments', async () => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: Config\n');
    const s = start('--kubeconfig', file);
    assert.equal(await s.code, 1);
    assert.match(s.out(), /exists and was not written by the simulator; not overwriting it/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'apiVersion: v1\nkind: Config\n');
    const bad = start('--nodes', '2', '--kubeconfig', path.join(dir, 'k'), '--labels', 'node-7:a=b');
    assert.equal(await bad.code, 2);
    assert.match(bad.out(), /--labels: no node "node-7" \(nodes are node-0, node-1\)/);
    assert.equal(fs.existsSync(path.join(dir, 'k')), false);
  });
});
