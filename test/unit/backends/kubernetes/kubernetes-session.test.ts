import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecutionReport } from '../../../../src/core/control/report';
import type { SequenceReport } from '../../../../src/core/control/session';
import { KubernetesProcessManager } from '../../../../src/core/backends/kubernetes/kubernetes-process-manager';
import { KubeFixture, kubeConfigText, waitFor } from './helpers';

const ok = (r: ExecutionReport | SequenceReport) => ('sequence' in r ? r.ok : r.ok);

describe('kubernetes backend: a whole session on the simulated cluster', function () {
  this.timeout(90_000);
  const fx = new KubeFixture();
  afterEach(() => fx.stop());

  it('boot -> start_run -> stop_run -> shutdown, with placement honoured, logs followed and nothing left', async () => {
    const sim = await fx.start();
    const config = fx.config(
      kubeConfigText('coldbox', [
        { name: 'dfo' },
        { name: 'ru-apa1', extra: 'resources: {limits: {felix.cern/card: 1}}, placement: {nodeSelector: {felix.cern/card: "true"}, antiAffinity: [{apps: [ru-apa2]}]}' },
        { name: 'ru-apa2', extra: 'resources: {limits: {felix.cern/card: 1}}, placement: {nodeSelector: {felix.cern/card: "true"}, antiAffinity: [{apps: [ru-apa1]}]}' },
      ]),
    );
    const h = await fx.open(config);
    const { session } = h;
    assert.equal(session.processManager.kind, 'kubernetes');
    assert.ok(ok(await session.execute('boot')), 'boot');
    const ns = sim.store.get('namespaces', undefined, 'coldbox');
    assert.equal(ns.metadata.labels['app.kubernetes.io/managed-by'], 'baton');
    assert.equal(ns.metadata.labels['baton.dev/session'], 'coldbox');
    const ru1 = session.processManager.info('ru-apa1')!;
    const ru2 = session.processManager.info('ru-apa2')!;
    assert.equal(ru1.pod?.status, 'Running');
    assert.ok(['node-0', 'node-1'].includes(ru1.pod!.node!) && ['node-0', 'node-1'].includes(ru2.pod!.node!), 'readout on FELIX nodes');
    assert.notEqual(ru1.pod!.node, ru2.pod!.node, 'strict anti-affinity');
    const dfoPod = sim.store.get('pods', 'coldbox', 'dfo');
    assert.equal(ru1.host, sim.store.get('pods', 'coldbox', 'ru-apa1').status.podIP, 'commands go to the pod address');
    assert.equal(session.tree.app('dfo')!.endpoint?.host, dfoPod.status.podIP);
    assert.deepEqual(sim.store.list('services', 'coldbox').map((s) => s.metadata.name).sort(), ['dfo', 'ru-apa1', 'ru-apa2']);

    const run = await session.execute('start_run');
    assert.ok(ok(run), 'start_run');
    assert.equal(session.state, 'running');
    assert.ok(ok(await session.execute('stop_run')), 'stop_run');
    // The reference application logs every command it handles; the log API brought them here.
    await waitFor('the followed log to show the stop command', () => /stop/.test(fs.readFileSync(session.processManager.info('dfo')!.logFile!, 'utf8')));
    assert.ok(ok(await session.execute('shutdown')), 'shutdown');
    assert.equal(session.state, 'none');
    assert.deepEqual(fx.leftovers('coldbox'), []);
    const infos = session.processManager.list();
    assert.ok(infos.every((i) => !i.alive && i.expected), 'every pod ended at Baton\'s request');
    const requests = sim.requests.byKind();
    assert.equal(requests['watch pods'], 1, 'one watch for the whole session');
    assert.equal(requests['create pods'], 3);
    assert.ok(!('get pods' in requests), `no polling of single pods: ${JSON.stringify(requests)}`);

    // Closing a terminated session leaves nothing in the cluster, not even its namespace...
    await h.close();
    assert.equal(sim.store.get('namespaces', undefined, 'coldbox'), undefined, 'namespace deleted');
    // ...and the same session boots again at once.
    const again = await fx.open(config);
    assert.ok(ok(await again.session.execute('boot')), 'boot again');
    assert.equal(sim.store.get('namespaces', undefined, 'coldbox').metadata.labels['baton.dev/session'], 'coldbox');
    assert.ok(ok(await again.session.execute('terminate')));
    await again.close();
    assert.equal(sim.store.get('namespaces', undefined, 'coldbox'), undefined);
  });

  it('a second controller (another machine: no local record) reattaches from the cluster alone', async () => {
    await fx.start();
    const config = fx.config(kubeConfigText('reattach', [{ name: 'a1' }, { name: 'a2' }]));
    const first = await fx.open(config, path.join(fx.dir, 'one'));
    assert.ok(ok(await first.session.execute('boot')));
    assert.ok(ok(await first.session.execute('conf')));
    await first.close({ keepRunning: true });

    const second = await fx.open(config, path.join(fx.dir, 'two'));
    assert.equal(second.reattached, true);
    assert.deepEqual(second.lost, []);
    assert.equal(second.session.state, 'configured', 'FSM state from the namespace annotation');
    assert.ok((second.session.processManager as KubernetesProcessManager).adopted.sort().join() === 'a1,a2');
    assert.equal(second.session.processManager.info('a1')?.pod?.status, 'Running');
    // The adopted applications answer commands at their recorded port.
    assert.ok(ok(await second.session.execute('start', { runNumber: 7 })), 'start after reattach');
    assert.ok(ok(await second.session.execute('shutdown')));
    assert.deepEqual(fx.leftovers('reattach'), []);
  });

  it('after a pod died: recover, then boot again replaces the ended pod under the same name', async () => {
    const sim = await fx.start();
    const config = fx.config(kubeConfigText('again', [{ name: 'solo' }]));
    const h = await fx.open(config);
    assert.ok(ok(await h.session.execute('boot')));
    const firstUid = sim.store.get('pods', 'again', 'solo').metadata.uid;
    sim.faults.killContainer('again', 'solo', 'SIGTERM');
    await waitFor('solo in error', () => h.session.tree.app('solo')!.state === 'error');
    // SIGTERM: the reference application ends cleanly, which is still a death nobody asked for.
    assert.match(h.session.tree.app('solo')!.error!.message, /^process died \(Completed: "app" ended with exit code 0/);
    assert.equal(sim.store.get('pods', 'again', 'solo').status.phase, 'Succeeded', 'the ended pod stays for inspection');
    assert.equal(h.session.recover().ok, true);
    assert.equal(h.session.state, 'none');
    assert.ok(ok(await h.session.execute('boot')), 'second boot');
    const second = sim.store.get('pods', 'again', 'solo');
    assert.notEqual(second.metadata.uid, firstUid);
    assert.equal(h.session.processManager.info('solo')?.alive, true);
    assert.ok(ok(await h.session.execute('start_run')));
    assert.ok(ok(await h.session.execute('shutdown')));
    assert.deepEqual(fx.leftovers('again'), []);
  });

  it('abort during boot deletes everything, at once', async () => {
    await fx.start({ kubeletStartDelayMs: 1500 });
    const config = fx.config(kubeConfigText('aborted', [{ name: 'a1' }, { name: 'a2' }, { name: 'a3' }]));
    const h = await fx.open(config);
    const boot = h.session.execute('boot');
    await waitFor('the pods to exist', () => fx.sim!.store.list('pods', 'aborted').length === 3);
    await h.session.abort('operator abort');
    await boot;
    assert.equal(h.session.state, 'none');
    await waitFor('nothing left in the namespace', () => fx.leftovers('aborted').length === 0);
  });
});
