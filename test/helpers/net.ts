// Loopback ports for the processes tests start (redis-server, nginx, gateways).
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

/** A port the OS just handed out (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  srv.close();
  await once(srv, 'close');
  return port;
}
