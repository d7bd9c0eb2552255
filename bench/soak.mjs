// @ts-check
/* global process, console, setTimeout, setInterval, clearInterval, URL */
// The memory soak of issue 6: 60 s of load on the gateway's cookie path while other
// clients keep aborting mid-response (the pattern behind http-proxy's leak, #1559).
// Samples the gateway's RSS every 5 s and reports whether it grows after the first 20 s.
//   npm run bench:soak [-- --seconds 60]
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_HOST, build, login, startGateway, writeConfig } from './lib/gateway.mjs';
import { closedLoop } from './lib/loadgen.mjs';
import { cpuPlan, freePort, killAllChildren, memKb, spawnPinned, stopChild, waitForLine, which } from './lib/proc.mjs';

const secIdx = process.argv.indexOf('--seconds');
const SECONDS = secIdx > 0 ? Number(process.argv[secIdx + 1]) : 60;
process.once('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});

const plan = cpuPlan();
await build();
const dir = mkdtempSync(join(tmpdir(), 'gk-soak-'));
const redisPort = await freePort();
const redis = spawnPinned(plan.server, 'redis-server', [
  '--port',
  String(redisPort),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
]);
await waitForLine(redis, /Ready to accept connections/, { label: 'redis' });
const upstream = spawnPinned(plan.server, process.execPath, [
  new URL('./servers/upstream.mjs', import.meta.url).pathname,
  '0',
]);
const up = await waitForLine(upstream, /listening on (http:\/\/\S+)/, { label: 'upstream' });
const { file } = await writeConfig(dir, {
  redisUrl: `redis://127.0.0.1:${redisPort}/0`,
  upstreamUrl: up[1] ?? '',
  alg: 'ES256',
});
const gw = await startGateway(file, plan.server);
const cookie = await login(gw.url);
const target = new URL(gw.url);

// Aborters: ask for the slow /stream and destroy the socket after the first chunk.
let aborted = 0;
let running = true;
function abortOne() {
  return new Promise(
    /** @param {(v?: void) => void} resolve */ (resolve) => {
      const req = http.get(
        {
          host: target.hostname,
          port: target.port,
          path: '/stream',
          agent: false,
          headers: { host: APP_HOST, cookie },
        },
        (res) => {
          res.once('data', () => {
            aborted++;
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => resolve());
    },
  );
}
const aborters = Array.from({ length: 10 }, async () => {
  while (running) await abortOne();
});

/** RSS of the gateway in MB (0 once it is gone). */
const rssMb = () => (memKb(gw.pid)?.rss ?? 0) / 1024;
/** @type {{ t: number, rssMb: number }[]} */
const samples = [];
const sampler = setInterval(() => samples.push({ t: samples.length * 5, rssMb: rssMb() }), 5000);
const tool = which('wrk') ? 'wrk' : 'autocannon';
// `Host` capitalised: wrk adds its own Host line unless it sees exactly this spelling.
const load = await closedLoop(
  { url: `${gw.url}/x`, headers: { Host: APP_HOST, Cookie: cookie } },
  { tool, threads: 1, seconds: SECONDS, connections: 40, cpus: plan.load, tmpDir: dir },
);
running = false;
clearInterval(sampler);
await Promise.all(aborters);
await new Promise((r) => setTimeout(r, 2000));
const after = rssMb();

const early = samples.filter((s) => s.t >= 20 && s.t < 30).map((s) => s.rssMb);
const late = samples.slice(-2).map((s) => s.rssMb);
/** @param {number[]} a */
const avg = (a) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
const growth = avg(late) - avg(early);
console.log(
  `soak: ${SECONDS} s, ${Math.round(load.rps ?? 0)} req/s on the cookie path, ${aborted} requests aborted mid-response`,
);
console.log(
  `gateway RSS (MB) every 5 s: ${samples.map((s) => s.rssMb.toFixed(0)).join(' ')}; 2 s after the load: ${after.toFixed(0)}`,
);
const verdict = growth <= 10 ? 'no growth beyond 10 MB' : 'GROWTH';
console.log(
  `RSS growth from 20–30 s to the end: ${growth.toFixed(1)} MB (${verdict}); non-2xx ${load.non2xx ?? 0}, errors ${load.errors ?? 0}`,
);
await stopChild(gw.child);
await stopChild(upstream);
await stopChild(redis);
process.exit(growth <= 10 ? 0 : 1);
