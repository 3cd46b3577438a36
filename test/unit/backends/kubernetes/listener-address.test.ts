import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import { detectListenerAddress } from '../../../../src/core/backends/kubernetes/listener-address';

describe('kubernetes response-listener address (auto-detected)', () => {
  it('a cluster on this machine (the simulator) is answered on loopback', async () => {
    assert.equal(await detectListenerAddress('http://127.0.0.1:6443'), '127.0.0.1');
    assert.match(await detectListenerAddress('https://localhost:6443'), /^(127\.0\.0\.1|::1)$/);
  });

  it('a server at one of this machine\'s own addresses is reached from that interface', async function () {
    const own = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!own) return this.skip();
    assert.equal(await detectListenerAddress(`https://${own.address}:6443`), own.address);
  });

  it('an unresolvable server is an error naming it', async () => {
    await assert.rejects(detectListenerAddress('https://no-such-host.invalid:6443'), /^KubernetesError: cannot find the local address that routes to https:\/\/no-such-host\.invalid:6443: getaddrinfo ENOTFOUND no-such-host\.invalid; set spec\.kubernetes\.listenerHost$/);
  });
});
