import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeKubeError, KubeConfigError, kubeconfigFiles, loadKubeAccess } from '../../../../src/core/backends/kubernetes/kube-access';

function kubeconfig(current: string | undefined, entries: Array<{ ctx: string; cluster: string; server: string; user: string; namespace?: string; ca?: string }>): string {
  const lines = ['apiVersion: v1', 'kind: Config'];
  if (current) lines.push(`current-context: ${current}`);
  lines.push('clusters:');
  for (const e of entries) lines.push(`- name: ${e.cluster}`, `  cluster: {server: "${e.server}"${e.ca ? `, certificate-authority: ${e.ca}` : ''}}`);
  lines.push('users:');
  for (const e of entries) lines.push(`- name: ${e.user}`, `  user: {token: t-${e.user}}`);
  lines.push('contexts:');
  for (const e of entries) lines.push(`- name: ${e.ctx}`, `  context: {cluster: ${e.cluster}, user: ${e.user}${e.namespace ? `, namespace: ${e.namespace}` : ''}}`);
  return `${lines.join('\n')}\n`;
}

describe('kubernetes cluster access (kubeconfig as kubectl reads it)', () => {
  let dir: string;
  const servers: http.Server[] = [];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-kc-'));
  });
  after(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('merges a KUBECONFIG list: first file wins for names and current-context; missing files are skipped', () => {
    const a = path.join(dir, 'a.yaml');
    const b = path.join(dir, 'b.yaml');
    fs.mkdirSync(path.join(dir, 'certs'), { recursive: true });
    fs.writeFileSync(a, kubeconfig('site', [{ ctx: 'site', cluster: 'np04', server: 'https://10.0.0.1:6443', user: 'op', namespace: 'daq', ca: 'certs/ca.crt' }]));
    fs.writeFileSync(b, kubeconfig('sim', [
      { ctx: 'sim', cluster: 'simc', server: 'http://127.0.0.1:7', user: 'simu' },
      { ctx: 'site', cluster: 'other', server: 'https://evil:6443', user: 'x' },
    ]));
    const env = { KUBECONFIG: [a, path.join(dir, 'missing.yaml'), b].join(path.delimiter), HOME: dir };
    const acc = loadKubeAccess({ env });
    assert.equal(acc.context, 'site', 'the first file to set current-context wins (kubectl), not the last (client-node)');
    assert.equal(acc.server, 'https://10.0.0.1:6443', 'the first definition of context "site" wins');
    assert.equal(acc.namespace, 'daq');
    assert.deepEqual(acc.files, [a, b]);
    assert.equal(acc.kc.getCurrentCluster()?.caFile, path.join(dir, 'certs', 'ca.crt'), 'relative paths resolve against their file');
    const sim = loadKubeAccess({ env, context: 'sim' });
    assert.equal(sim.server, 'http://127.0.0.1:7');
    assert.equal(sim.kc.getCurrentContext(), 'sim');
    assert.equal(sim.namespace, undefined);
    assert.equal(fs.readFileSync(a, 'utf8').includes('current-context: site'), true, 'the kubeconfig is never written');
  });

  it('explicit kubeconfig beats KUBECONFIG, which beats ~/.kube/config', () => {
    assert.deepEqual(kubeconfigFiles('/x/one', { KUBECONFIG: '/y/two', HOME: '/h' }), ['/x/one']);
    assert.deepEqual(kubeconfigFiles(undefined, { KUBECONFIG: `/y/two${path.delimiter}/y/three`, HOME: '/h' }), ['/y/two', '/y/three']);
    assert.deepEqual(kubeconfigFiles(undefined, { HOME: '/h' }), ['/h/.kube/config']);
  });

  it('an unknown context is an error listing the known ones', () => {
    const f = path.join(dir, 'c.yaml');
    fs.writeFileSync(f, kubeconfig('one', [{ ctx: 'one', cluster: 'c1', server: 'http://127.0.0.1:7', user: 'u1' }, { ctx: 'two', cluster: 'c2', server: 'http://127.0.0.1:8', user: 'u2' }]));
    assert.throws(() => loadKubeAccess({ kubeconfig: f, context: 'prod' }), (err: Error) => err instanceof KubeConfigError && /unknown context "prod".*known contexts: "one", "two"/.test(err.message));
  });

  it('no kubeconfig at all, no current context, broken file: each a plain error', () => {
    assert.throws(() => loadKubeAccess({ kubeconfig: path.join(dir, 'nope.yaml') }), /no kubeconfig found \(--kubeconfig: .*nope\.yaml\)/);
    const f = path.join(dir, 'nocur.yaml');
    fs.writeFileSync(f, kubeconfig(undefined, [{ ctx: 'one', cluster: 'c1', server: 'http://127.0.0.1:7', user: 'u1' }]));
    assert.throws(() => loadKubeAccess({ kubeconfig: f }), /no context selected: .* has no current-context; choose one of "one"/);
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'clusters: [{name: x}]\n');
    assert.throws(() => loadKubeAccess({ kubeconfig: bad }), /cannot read kubeconfig .*bad\.yaml/);
  });

  it('describes a refused connection in one sentence naming the cluster', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const f = path.join(dir, 'closed.yaml');
    fs.writeFileSync(f, kubeconfig('sim', [{ ctx: 'sim', cluster: 's', server: `http://127.0.0.1:${port}`, user: 'u' }]));
    const acc = loadKubeAccess({ kubeconfig: f });
    const err = await acc.core().listNode().then(() => undefined, (e: unknown) => e);
    assert.equal(describeKubeError(err, 'list nodes', acc), `cannot reach cluster "sim" at http://127.0.0.1:${port}: connection refused (while trying to list nodes)`);
  });

  it('describes Forbidden and other Status answers from a real HTTP server', async () => {
    const server = http.createServer((req, res) => {
      const status = req.url?.startsWith('/api/v1/nodes')
        ? { code: 403, reason: 'Forbidden', message: 'nodes is forbidden: User "shifter" cannot list resource "nodes" in API group "" at the cluster scope' }
        : { code: 409, reason: 'AlreadyExists', message: 'namespaces "coldbox" already exists' };
      res.writeHead(status.code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', ...status }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const f = path.join(dir, 'forbidden.yaml');
    fs.writeFileSync(f, kubeconfig('sim', [{ ctx: 'sim', cluster: 's', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, user: 'u' }]));
    const acc = loadKubeAccess({ kubeconfig: f });
    const forbidden = await acc.core().listNode().then(() => undefined, (e: unknown) => e);
    assert.equal(describeKubeError(forbidden, 'list nodes', acc), 'forbidden: User "shifter" cannot list resource "nodes" in API group "" at the cluster scope (while trying to list nodes)');
    const conflict = await acc.core().createNamespace({ body: { metadata: { name: 'coldbox' } } }).then(() => undefined, (e: unknown) => e);
    assert.equal(describeKubeError(conflict, 'create namespace coldbox', acc), 'create namespace coldbox: conflict (namespaces "coldbox" already exists)');
  });
});
