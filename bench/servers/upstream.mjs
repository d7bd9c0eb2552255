// @ts-check
/* global process, Buffer, setInterval, clearInterval */
// The benchmark's upstream: a tiny node:http app answering 200 with a small fixed body on
// keep-alive connections. It counts the requests it served (GET /__bench/hits, asked
// directly, not through a proxy, and not counted) so the bench can check that every
// request a proxy mode reported as done really reached the app.
//   node bench/servers/upstream.mjs [port]
import http from 'node:http';
import { serve } from './serve.mjs';

const BODY = Buffer.from('{"ok":true,"app":"bench-upstream","note":"a small body, about 64 bytes"}\n');
let hits = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/__bench/hits') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ hits }));
    return;
  }
  hits++;
  if (req.url === '/stream') {
    // For the soak: a response that takes a while, so clients can abort in the middle of it.
    res.writeHead(200, { 'content-type': 'text/plain' });
    let n = 0;
    const timer = setInterval(() => {
      if (++n === 20 || res.destroyed) {
        clearInterval(timer);
        res.end('end\n');
      } else res.write('chunk\n');
    }, 10);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
  res.end(BODY);
});
serve(server, { port: Number(process.argv[2] ?? 0) });
