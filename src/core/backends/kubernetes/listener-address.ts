import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import { KubernetesError } from './kube-access';

/**
 * The address of this machine's interface that routes to the API server: the address the
 * pods most likely reach this machine at, used as the default response-listener address.
 * A UDP "connect" sends nothing; it only asks the kernel to pick the route and source.
 */
export async function detectListenerAddress(server: string): Promise<string> {
  const url = new URL(server);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const { address, family } = await dns.promises.lookup(host).catch((err: Error) => {
    throw new KubernetesError(`cannot find the local address that routes to ${server}: ${err.message}; set spec.kubernetes.listenerHost`);
  });
  if (address === '127.0.0.1' || address === '::1') return address;
  return new Promise<string>((resolve, reject) => {
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(new KubernetesError(`cannot find the local address that routes to ${server}: ${err.message}; set spec.kubernetes.listenerHost`));
    });
    socket.connect(port, address, () => {
      const local = socket.address().address;
      socket.close();
      resolve(local);
    });
  });
}
