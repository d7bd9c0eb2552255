// @ts-check
/* global process, console, Buffer */
// The gateway's per-request header work alone, for an A/B by instruction count: framingError
// and outgoingHeaders (src/proxy/outgoing-request.ts) called N times on a request shaped like
// the bench's cookie-path request (Host, the session cookie, Connection: keep-alive,
// X-Request-Id; identity headers with an X-Auth-Jwt), or with `response` as third argument
// clientResponseHeaders (response-headers.ts) on the bench upstream's answer head. Run it
// under callgrind twice, with two N, and divide the difference of the totals by the
// difference of the N (start-up cancels):
//   valgrind --tool=callgrind --smc-check=all node --no-concurrent-recompilation \
//     bench/header-loop.mjs dist 20000        (then 120000)
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist = 'dist', nArg = '100000', which = 'request'] = process.argv.slice(2);
const mod = await import(pathToFileURL(resolve(dist, 'proxy/outgoing-request.js')).href);
const answer = await import(pathToFileURL(resolve(dist, 'proxy/response-headers.js')).href);
// The bench upstream's answer head, as undici hands it over.
const upstreamHead = [
  'Content-Type',
  'application/json',
  'Content-Length',
  '71',
  'Date',
  'Thu, 03 Dec 2026 09:00:00 GMT',
]
  .concat(['Connection', 'keep-alive', 'Keep-Alive', 'timeout=5'])
  .map((v) => Buffer.from(v, 'latin1'));
const raw = [
  'host',
  'bench.test',
  'cookie',
  '__Host-gk_bench=s.abcdefghijklmnopqrstuvwxyz0123456789',
  'connection',
  'keep-alive',
  'X-Request-Id',
  'd6c7b7e2-4f8e-4a3c-9a1b-2f6d8e9c0a11',
];
const req = {
  headers: { host: raw[1], cookie: raw[3], connection: raw[5], 'x-request-id': raw[7] },
  rawHeaders: raw,
  method: 'GET',
  socket: { remoteAddress: '127.0.0.1', encrypted: false },
};
const identity = {
  userId: 'u-bench',
  email: 'bench@bench.test',
  name: 'Bench User',
  roles: [],
  tenant: 'bench',
  sessionId: 'sess_1',
  authTime: 1_000_000,
  clientId: null,
  scope: null,
  jwt: 'x'.repeat(600),
};
let sink = 0;
for (let i = 0, n = Number(nArg); i < n; i++) {
  if (which === 'response') {
    sink += Object.keys(answer.clientResponseHeaders(upstreamHead)).length;
    continue;
  }
  if (mod.framingError(req, false) !== null) throw new Error('the request was refused');
  sink += mod.outgoingHeaders(req, { trustedPeer: true, identity, upgrade: false }).length;
}
console.log(sink);
