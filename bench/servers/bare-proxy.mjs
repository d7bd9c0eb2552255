// @ts-check
/* global process, console */
// The reference of every ratio: a bare `http-proxy` passthrough with a keep-alive agent
// (the same agent settings the gateway uses), no auth, no header work.
//   node bench/servers/bare-proxy.mjs <upstream-url>
import http from 'node:http';
import httpProxy from 'http-proxy';
import { serve } from './serve.mjs';

const target = process.argv[2];
if (!target) {
  console.error('usage: bare-proxy.mjs <upstream-url>');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64 });
const proxy = httpProxy.createProxyServer({ target, agent, xfwd: false, changeOrigin: false });
proxy.on('error', (_err, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('bad gateway\n');
  } else res?.destroy?.();
});

const server = http.createServer((req, res) => proxy.web(req, res));
serve(server, { onStop: () => agent.destroy() });
