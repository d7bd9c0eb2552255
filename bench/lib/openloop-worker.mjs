// @ts-check
/* global process, console, setImmediate, setTimeout, URL */
// Open-loop (fixed-rate) load: requests are scheduled at fixed intervals whatever the
// server does, and each latency is measured from its *scheduled* send time, so a slow
// response delays nobody's measurement away (no coordinated omission). Prints one JSON line.
//   node bench/lib/openloop-worker.mjs '{"url":…,"headers":{…},"rate":N,"seconds":N,"connections":N,"leadInSeconds":N}'
import http from 'node:http';

/** @type {{ url: string, headers: Record<string, string>, rate: number, seconds: number, connections: number, leadInSeconds?: number }} */
const job = JSON.parse(process.argv[2] ?? '{}');
const u = new URL(job.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections, maxFreeSockets: job.connections });
const total = Math.max(1, Math.round(job.rate * job.seconds));
const intervalNs = 1e9 / job.rate;
const leadInNs = (job.leadInSeconds ?? 0.5) * 1e9;
const latNs = new Float64Array(total).fill(Number.NaN); // from the scheduled send time
const svcNs = new Float64Array(total).fill(Number.NaN); // from the actual send time
const LATE_NS = 1e6;
const base = process.hrtime.bigint();
const now = () => Number(process.hrtime.bigint() - base);
let sent = 0;
let settled = 0;
let non2xx = 0;
let errors = 0;
let lastSendLagNs = 0;
let late = 0;
const noop = () => {};

/** @param {number} i @param {number} schedNs @param {number} sentNs */
function fire(i, schedNs, sentNs) {
  const req = http.request(
    { agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'GET', headers: job.headers },
    (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) non2xx++;
      res.on('data', noop);
      res.on('end', () => {
        const t = now();
        latNs[i] = t - schedNs;
        svcNs[i] = t - sentNs;
        settle();
      });
      res.on('error', () => {
        errors++;
        settle();
      });
    },
  );
  req.on('error', () => {
    errors++;
    settle();
  });
  req.end();
}

function settle() {
  if (++settled === total) report(false);
}

// A busy loop on setImmediate (I/O still runs between turns): the load core is ours, and
// a timer-driven loop would add up to a millisecond of jitter to every send.
function loop() {
  const t = now();
  while (sent < total && sent * intervalNs <= t) {
    const sched = sent * intervalNs;
    lastSendLagNs = Math.max(lastSendLagNs, t - sched);
    if (t - sched > LATE_NS) late++;
    fire(sent, sched, t);
    sent++;
  }
  if (sent < total) setImmediate(loop);
}

let reported = false;
/** @param {boolean} timedOut */
function report(timedOut) {
  if (reported) return;
  reported = true;
  const firstKept = Math.min(total, Math.ceil(leadInNs / intervalNs));
  /** @type {number[]} */
  const kept = [];
  /** @type {number[]} */
  const svc = [];
  for (let i = firstKept; i < total; i++) {
    const lat = latNs[i] ?? Number.NaN;
    const s = svcNs[i] ?? Number.NaN;
    if (!Number.isNaN(lat)) kept.push(lat);
    if (!Number.isNaN(s)) svc.push(s);
  }
  kept.sort((a, b) => a - b);
  svc.sort((a, b) => a - b);
  /** @param {number[]} xs @param {number} p */
  const quantile = (xs, p) => {
    const x = xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
    return x === undefined ? null : x / 1e6;
  };
  /** @param {number} p */
  const q = (p) => quantile(kept, p);
  console.log(
    JSON.stringify({
      rate: job.rate,
      scheduled: total,
      sent,
      measured: kept.length,
      unanswered: total - settled,
      non2xx,
      errors,
      timedOut,
      p50Ms: q(0.5),
      p90Ms: q(0.9),
      p99Ms: q(0.99),
      p999Ms: q(0.999),
      maxMs: quantile(kept, 1),
      serviceP50Ms: quantile(svc, 0.5),
      serviceP99Ms: quantile(svc, 0.99),
      maxSendLagMs: lastSendLagNs / 1e6,
      lateShare: sent ? late / sent : 0,
    }),
  );
  agent.destroy();
  process.exit(0);
}

// Bounded: whatever is still unanswered 10 s after the last send counts as unanswered.
setTimeout(() => report(true), (job.seconds + 10) * 1000).unref();
loop();
