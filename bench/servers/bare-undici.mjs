// @ts-check
/* global process, console, URL */
// The fastest plain forwarder we know here: a node:http server that hands every request to
// an undici Pool (the gateway's forwarding engine, with its Pool settings) through
// `dispatch`, and writes the upstream's answer straight into the response — no auth, no
// header work beyond dropping the hop-by-hop headers (RFC 9110 §7.6.1), which a forwarder
// must not pass on and undici refuses to send.
//   node bench/servers/bare-undici.mjs <upstream-url>
import http from 'node:http';
import { Pool } from 'undici';
import { serve } from './serve.mjs';

const target = process.argv[2];
if (!target) {
  console.error('usage: bare-undici.mjs <upstream-url>');
  process.exit(2);
}
const origin = new URL(target).origin;
// The gateway's settings (src/proxy/forward.ts): keep-alive, one request per connection at a time.
const pool = new Pool(origin, { connections: 512, pipelining: 1, keepAliveTimeout: 4000 });

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** Request headers as a flat [name, value, …] list without the hop-by-hop ones. @param {string[]} raw */
function requestHeaders(raw) {
  /** @type {string[]} */
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, raw[i + 1] ?? '');
  }
  return out;
}

/** Response headers from undici's raw Buffers, as a flat list for writeHead. @param {Buffer[]} raw */
function responseHeaders(raw) {
  /** @type {string[]} */
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]?.toString('latin1') ?? '';
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, raw[i + 1]?.toString('latin1') ?? '');
  }
  return out;
}

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
function forward(req, res) {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  /** @type {((err?: Error) => void) | null} */
  let abort = null;
  let done = false;
  res.once('close', () => {
    if (!res.writableFinished && !done) {
      done = true;
      abort?.();
    }
  });
  pool.dispatch(
    {
      origin,
      path: req.url ?? '/',
      method: req.method ?? 'GET',
      headers: requestHeaders(req.rawHeaders),
      body: hasBody ? req : null,
    },
    {
      onConnect(a) {
        abort = a;
        if (done) a();
      },
      onHeaders(statusCode, rawHeaders, resume) {
        if (done) return false;
        if (statusCode < 200) return true;
        res.writeHead(statusCode, responseHeaders(/** @type {Buffer[]} */ (rawHeaders)));
        res.on('drain', resume);
        return true;
      },
      onData(chunk) {
        return done ? false : res.write(chunk);
      },
      onComplete() {
        if (done) return;
        done = true;
        res.end();
      },
      onError() {
        if (done) return;
        done = true;
        if (res.headersSent) res.destroy();
        else {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('bad gateway\n');
        }
      },
    },
  );
}

const server = http.createServer(forward);
serve(server, { onStop: () => pool.destroy() });
