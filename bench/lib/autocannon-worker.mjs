// @ts-check
/* global process, console */
// Runs one autocannon load (the fallback when wrk is missing) and prints one JSON line
// in the shape of loadgen.mjs. Tokens, when given, cycle one per request.
//   node bench/lib/autocannon-worker.mjs '{"url":…,"headers":{…},"tokens":[…],"seconds":N,"connections":N}'
import autocannon from 'autocannon';

/** @type {{ url: string, headers: Record<string, string>, tokens: string[], seconds: number, connections: number }} */
const job = JSON.parse(process.argv[2] ?? '{}');
/** @type {Parameters<typeof autocannon>[0]} */
const opts = { url: job.url, connections: job.connections, duration: job.seconds, headers: job.headers, timeout: 5 };
if (job.tokens.length > 0) {
  let i = Math.floor(Math.random() * job.tokens.length);
  opts.requests = [
    {
      setupRequest(req) {
        i = (i + 1) % job.tokens.length;
        req.headers = { ...req.headers, authorization: `Bearer ${job.tokens[i]}` };
        return req;
      },
    },
  ];
}
const result = await autocannon(opts);
const requests = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
const seconds = result.duration;
console.log(
  JSON.stringify({
    rps: requests / seconds,
    requests,
    seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: requests - result['2xx'],
    errors: result.errors + result.timeouts,
  }),
);
