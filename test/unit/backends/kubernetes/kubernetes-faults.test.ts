import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { ExecutionReport } from '../../../../src/core/control/report';
import { KubeConfigError, KubernetesError, loadKubeAccess } from '../../../../src/core/backends/kubernetes/kube-access';
import { KubeFixture, kubeConfigText, waitFor } from './helpers';

describe('kubernetes backend: bad input and faults, each ending in a defined state with the reason shown', function () {
  this.timeout(90_000);
  const fx = new KubeFixture();
  afterEach(() => fx.stop());

  it('unknown context: refused before anything happens, listing the known contexts', async () => {
    await fx.start();
    const config = fx.config(kubeConfigText('ctx', [{ name: 'a1' }]).replace('    image:', '    context: production\n    image:'));
    await assert.rejects(fx.open(config), (e: Error) => e instanceof KubeConfigError && /unknown context "production" .*known contexts: "sim"/.test(e.message));
  });

  it('cluster unreachable: one plain sentence naming the cluster', async () => {
    await fx.start();
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const text = fs.readFileSync(fx.kubeconfig, 'utf8').replace(fx.sim!.url, `http://127.0.0.1:${port}`);
    const dead = path.join(fx.dir, 'dead.kubeconfig');
    fs.writeFileSync(dead, text);
    const config = fx.config(kubeConfigText('unreachable', [{ name: 'a1' }]));
    await assert.rejects(fx.open(config, undefined, dead), (e: Error) => e instanceof KubernetesError && e.message === `cannot reach cluster "sim" at http://127.0.0.1:${port}: connection refused (while trying to read namespace unreachable)`);
  });

  it('an API server that accepts connections but does not answer: a plain sentence, not an endless wait', async () => {
    const sim = await fx.start();
    sim.faults.delay(60_000, { resource: 'namespaces' });
    const config = fx.config(kubeConfigText('silent', [{ name: 'a1' }]));
    await assert.rejects(fx.open(config, undefined, undefined, 500), (e: Error) => e instanceof KubernetesError && /^cannot reach cluster "sim" at http:\/\/127\.0\.0\.1:\d+: no answer within 500 ms \(while trying to read namespace silent\)$/.test(e.message));
    sim.faults.delay(0, { resource: 'namespaces' });
  });

  it('Forbidden on namespaces (a user without rights) and on creating pods: the RBAC sentence, and nothing left', async () => {
    const sim = await fx.start();
    const weak = path.join(fx.dir, 'weak.kubeconfig');
    sim.writeKubeconfig(weak, { user: 'forbidden' });
    const config = fx.config(kubeConfigText('rbac', [{ name: 'a1' }, { name: 'a2' }]));
    await assert.rejects(fx.open(config, undefined, weak), (e: Error) => e instanceof KubernetesError && /^forbidden: .*cannot get resource "namespaces"/.test(e.message));

    sim.faults.forbid('pods', 'create');
    const h = await fx.open(config);
    const boot = (await h.session.execute('boot')) as ExecutionReport;
    assert.equal(boot.ok, false);
    assert.match(boot.failures[0].reason!, /^application "a\d": forbidden: .*cannot create resource "pods"/);
    await h.session.abort();
    assert.deepEqual(fx.leftovers('rbac'), []);
  });

  it('a server error on the first pod list fails that boot plainly; the next boot works', async () => {
    const sim = await fx.start();
    const config = fx.config(kubeConfigText('flaky', [{ name: 'a1' }]));
    const h = await fx.open(config);
    sim.faults.failNext(1, 500, { verb: 'list', resource: 'pods' });
    const first = (await h.session.execute('boot')) as ExecutionReport;
    assert.equal(first.ok, false);
    assert.match(first.failures[0].reason!, /^application "a1": list pods in namespace flaky: cluster "sim" at http:\/\/127\.0\.0\.1:\d+ answered 500/);
    assert.equal(h.session.recover().ok, true);
    assert.ok(((await h.session.execute('boot')) as ExecutionReport).ok, 'second boot');
    assert.ok(((await h.session.execute('terminate')) as ExecutionReport).ok);
    assert.deepEqual(fx.leftovers('flaky'), []);
  });

  it('namespace exists and is not Baton\'s: refused, and the namespace is left alone', async () => {
    await fx.start();
    const access = loadKubeAccess({ kubeconfig: fx.kubeconfig });
    await access.core().createNamespace({ body: { metadata: { name: 'theirs', labels: { team: 'other' } } } });
    const config = fx.config(kubeConfigText('theirs', [{ name: 'a1' }]));
    await assert.rejects(fx.open(config), (e: Error) => e instanceof KubernetesError && /namespace "theirs" already exists and is not managed by Baton/.test(e.message));
    assert.deepEqual(fx.sim!.store.get('namespaces', undefined, 'theirs').metadata.labels, { team: 'other', 'kubernetes.io/metadata.name': 'theirs' });
    // Another Baton session's namespace is refused too.
    await access.core().createNamespace({ body: { metadata: { name: 'other-session', labels: { 'app.kubernetes.io/managed-by': 'baton', 'baton.dev/session': 'someone-else' } } } });
    const other = fx.config(kubeConfigText('x', [{ name: 'a1' }]).replace('    image:', '    namespace: other-session\n    image:'));
    await assert.rejects(fx.open(other), /namespace "other-session" belongs to Baton session "someone-else", not "x"/);
  });

  it('an image that cannot be pulled fails boot early with the pull reason; abort leaves nothing', async () => {
    await fx.start();
    const config = fx.config(kubeConfigText('pull', [{ name: 'good' }, { name: 'bad', extra: 'image: registry.example/nope:1' }], { boot: '60s' }));
    const h = await fx.open(config);
    const t0 = Date.now();
    const boot = (await h.session.execute('boot')) as ExecutionReport;
    assert.equal(boot.ok, false);
    const bad = boot.failures.find((f) => f.path === 'bad')!;
    assert.match(bad.reason!, /^application "bad": pod pull\/bad cannot start: (ErrImagePull|ImagePullBackOff): /);
    assert.ok(Date.now() - t0 < 60_000, 'failed before the boot timeout'); // behaviour, not a wall-time bound: the timeout would say "within 60000 ms"
    assert.doesNotMatch(bad.reason!, /boot timeout/);
    assert.equal(h.session.tree.app('bad')!.state, 'error');
    await h.session.abort();
    assert.equal(h.session.state, 'none');
    await waitFor('nothing left', () => fx.leftovers('pull').length === 0);
  });

  it('a pod that cannot be scheduled fails boot with the scheduler\'s reason', async () => {
    await fx.start();
    const config = fx.config(kubeConfigText('sched', [{ name: 'lonely', extra: 'placement: {nodeSelector: {felix.cern/card: "true", zone: mars}}' }], { boot: '60s' }));
    const h = await fx.open(config);
    const boot = (await h.session.execute('boot')) as ExecutionReport;
    assert.equal(boot.ok, false);
    assert.match(boot.failures[0].reason!, /^application "lonely": pod sched\/lonely cannot start: Unschedulable: 0\/4 nodes are available: 4 node\(s\) didn't match Pod's node affinity\/selector/);
    await h.session.abort();
    await waitFor('nothing left', () => fx.leftovers('sched').length === 0);
  });

  it('a pod killed (OOM) or evicted during a run fails its application at once with that reason', async () => {
    const sim = await fx.start();
    const config = fx.config(kubeConfigText('faults', [{ name: 'a1' }, { name: 'a2' }, { name: 'a3' }]));
    const h = await fx.open(config);
    const { session } = h;
    assert.ok(((await session.execute('boot')) as { ok: boolean }).ok);
    assert.ok(((await session.execute('start_run')) as { ok: boolean }).ok);
    const errors: string[] = [];
    session.events.subscribe((e) => {
      if (e.type === 'error') errors.push(`${e.path}: ${e.message}`);
    });
    sim.faults.killContainer('faults', 'a1');
    await waitFor('a1 in error', () => session.tree.app('a1')!.state === 'error');
    assert.match(session.tree.app('a1')!.error!.message, /^process died \(OOMKilled: "app" ended with exit code 137/);
    sim.faults.evictPod('faults', 'a2', 'The node was low on resource: memory.');
    await waitFor('a2 in error', () => session.tree.app('a2')!.state === 'error');
    assert.match(session.tree.app('a2')!.error!.message, /^process died \(Evicted: The node was low on resource: memory\.\)/);
    assert.equal(session.tree.app('a3')!.state, 'running');
    assert.equal(errors.length, 2);
    await session.abort();
    await waitFor('nothing left', () => fx.leftovers('faults').length === 0);
  });

  it('watches dropped and history compacted mid-boot: boot completes from a fresh list', async () => {
    const sim = await fx.start({ kubeletStartDelayMs: 800 });
    const config = fx.config(kubeConfigText('dropped', [{ name: 'a1' }, { name: 'a2' }]));
    const h = await fx.open(config);
    const boot = h.session.execute('boot');
    await waitFor('pods created', () => sim.store.list('pods', 'dropped').length === 2);
    sim.faults.compactHistory();
    sim.faults.dropWatches();
    const report = (await boot) as ExecutionReport;
    assert.ok(report.ok, JSON.stringify(report.failures));
    assert.ok((sim.requests.byKind()['watch pods'] ?? 0) >= 2, 'the watch was re-established');
    sim.faults.killContainer('dropped', 'a2', 'SIGTERM');
    await waitFor('a2 death seen through the new watch', () => h.session.tree.app('a2')!.state === 'error');
    await h.session.abort();
    await waitFor('nothing left', () => fx.leftovers('dropped').length === 0);
  });

  it('API server restarting during a run: the watch comes back, deaths are still seen, shutdown works', async () => {
    const sim = await fx.start();
    const config = fx.config(kubeConfigText('restart', [{ name: 'a1' }, { name: 'a2' }]));
    const h = await fx.open(config);
    assert.ok(((await h.session.execute('boot')) as { ok: boolean }).ok);
    assert.ok(((await h.session.execute('start_run')) as { ok: boolean }).ok);
    const warnings: string[] = [];
    h.session.events.subscribe((e) => {
      if (e.type === 'log' && e.level === 'warn') warnings.push(e.message);
    });
    await sim.faults.restartApiServer(1500);
    sim.faults.killContainer('restart', 'a1');
    await waitFor('a1 death seen after the restart', () => h.session.tree.app('a1')!.state === 'error', 30_000);
    assert.match(h.session.tree.app('a1')!.error!.message, /OOMKilled/);
    // The operator was told, in plain words, while it lasted.
    assert.ok(warnings.some((w) => /^cannot reach cluster "sim" at http:\/\/127\.0\.0\.1:\d+: connection refused .*; retrying$/.test(w)), warnings.join('\n'));
    assert.ok(warnings.includes('connection to cluster "sim" restored'), warnings.join('\n'));
    // a2 lives on: its log is still followed (the log stream broke with the server and was resumed).
    assert.ok(((await h.session.execute('disable_triggers', undefined, 'a2')) as { ok: boolean }).ok);
    const log = h.session.processManager.info('a2')!.logFile!;
    await waitFor('the disable_triggers command in a2\'s followed log', () => /command "disable_triggers" received/.test(fs.readFileSync(log, 'utf8')));
    assert.equal(fs.readFileSync(log, 'utf8').match(/command "start" received/g)?.length, 1, 'resumed after the last line copied, not from the start');
    const shutdown = await h.session.execute('shutdown');
    assert.ok('sequence' in shutdown);
    await waitFor('nothing left', () => fx.leftovers('restart').length === 0);
  });
});
