import assert from 'node:assert/strict';
import * as net from 'node:net';
import { assertPortFree, findFreePort } from '../../../src/core/backends/local/ports';
import { tcpPing } from '../../../src/core/protocol/ping';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((c) => c.end());
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('ports', () => {
  it('findFreePort returns a port that can then be bound', async () => {
    const port = await findFreePort('127.0.0.1');
    assert.ok(port > 0 && port < 65536);
    const s = await listen(port);
    s.close();
  });

  it('assertPortFree accepts a free port and rejects a taken one clearly', async () => {
    const port = await findFreePort('127.0.0.1');
    await assertPortFree('127.0.0.1', port);
    const s = await listen(port);
    try {
      await assert.rejects(assertPortFree('127.0.0.1', port), { message: `port ${port} on 127.0.0.1 is already in use` });
    } finally {
      s.close();
    }
  });

  it('assertPortFree rejects invalid ports', async () => {
    await assert.rejects(assertPortFree('127.0.0.1', 70000), /not a valid TCP port/);
  });

  it('tcpPing tells a listening port from a closed one', async () => {
    const s = await listen(0);
    const port = (s.address() as net.AddressInfo).port;
    assert.equal(await tcpPing('127.0.0.1', port, 1000), true);
    s.close();
    await new Promise((r) => s.once('close', r));
    assert.equal(await tcpPing('127.0.0.1', port, 1000), false);
  });
});
