// @ts-check
/* global process, console */
// How every bench server runs: loopback only, idle keep-alive sockets kept between modes
// (modes run one after another), `listening on <url>` on stdout for the bench to read, and
// a clean stop on SIGTERM/SIGINT (close the listener and its connections, then `onStop`).

/**
 * @param {import('node:http').Server} server
 * @param {{ port?: number, onStop?: () => unknown }} [opts]
 */
export function serve(server, { port = 0, onStop = () => {} } = {}) {
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.listen(port, '127.0.0.1', () => {
    const { port: bound } = /** @type {import('node:net').AddressInfo} */ (server.address());
    console.log(`listening on http://127.0.0.1:${bound}`);
  });
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.once(sig, () => {
      server.close(() => {
        Promise.resolve()
          .then(onStop)
          .finally(() => process.exit(0));
      });
      server.closeAllConnections();
    });
  }
}
