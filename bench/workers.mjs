#!/usr/bin/env node
// @ts-check
/* global process, console, URL, URLSearchParams */
// workers: 1 vs workers: 2 on the cookie path (issue 16 item 6). One redis-server, one
// upstream (this process), the gateway from a build (`GK_DIST`, default ./dist), and
// autocannon as a child process on the same machine; modes interleaved 1 2 1 2 …
// Usage: npm run bench:workers -- [rounds=3] [seconds=8] [connections=32]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [rounds = 3, seconds = 8, conns = 32] = process.argv.slice(2).map(Number);
const DIST = resolve(process.env.GK_DIST ?? 'dist');
const ROOT = process.env.GK_ROOT ?? process.cwd();
const dir = mkdtempSync(join(tmpdir(), 'gk-bw-'));
/** @returns {Promise<number>} */
const freePort = () =>
  new Promise((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = /** @type {net.AddressInfo} */ (s.address()).port;
      s.close(() => r(p));
    });
  });
/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

const redisPort = await freePort();
const redis = spawn(
  'redis-server',
  ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  {
    stdio: 'ignore',
  },
);
children.push(redis);
const upstream = http.createServer((q, r) => r.end('{"ok":true}'));
await new Promise((r) => upstream.listen(0, '127.0.0.1', () => r(undefined)));
const upstreamPort = /** @type {net.AddressInfo} */ (upstream.address()).port;
/** @param {string[]} args @param {string} [input] */
const gk = (args, input) =>
  execFileSync(process.execPath, [join(DIST, 'cli.js'), ...args], { input, cwd: ROOT })
    .toString()
    .trim();
writeFileSync(join(dir, 'keys.json'), gk(['keys', 'generate', '--alg', 'ES256']));
const hash = gk(['hash-password'], 'alice-password\n');

/** @param {number} workers */
function config(workers) {
  const path = join(dir, `w${workers}.yaml`);
  writeFileSync(
    path,
    `server:\n  listen: 127.0.0.1:0\n  publicUrl: http://gw.acme.test\n  workers: ${workers}\nstore:\n  redis: redis://127.0.0.1:${redisPort}/0\nkeys: { file: ${join(dir, 'keys.json')}, algorithm: ES256 }\ntenants:\n  acme:\n    settings: { loginThrottle: { maxFailures: 1000 } }\n    users:\n      - { id: u-alice, username: alice, passwordHash: "${hash}" }\n    apps:\n      - { name: app, hosts: [app.acme.test], upstream: "http://127.0.0.1:${upstreamPort}" }\n`,
  );
  return path;
}

/**
 * @param {number} workers
 * @returns {Promise<{ url: string, child: import('node:child_process').ChildProcess }>}
 */
function startGateway(workers) {
  const child = spawn(process.execPath, [join(DIST, 'main.js'), 'start', '--config', config(workers)], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (/** @type {Buffer} */ c) => {
      out += c;
      const m = /^listening on (http:\/\/\S+)$/m.exec(out);
      if (m) resolve({ url: /** @type {string} */ (m[1]), child });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${out}`)));
  });
}

/**
 * @param {string} url @param {string} path
 * @param {{ method?: string, headers?: Record<string, string>, body?: string }} [opts]
 * @returns {Promise<{ status: number | undefined, headers: http.IncomingHttpHeaders, body: string }>}
 */
function req(url, path, opts = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const r = http.request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: 'app.acme.test', ...opts.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      },
    );
    r.on('error', reject);
    r.end(opts.body);
  });
}

/** @param {string} url */
async function cookieFor(url) {
  const form = await req(url, '/t/acme/login', { headers: { accept: 'text/html' } });
  const pre = (form.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  const body = new URLSearchParams({
    username: 'alice',
    password: 'alice-password',
    csrf_token: csrf,
    rd: '/',
  }).toString();
  const res = await req(url, '/t/acme/login', {
    method: 'POST',
    body,
    headers: { accept: 'text/html', cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
  });
  const c = (res.headers['set-cookie'] ?? []).map((x) => x.split(';')[0] ?? '').find((x) => x.startsWith('gk_acme='));
  if (!c) throw new Error(`login failed: ${res.status}`);
  return c;
}

/** @typedef {{ rps: number, p50: number, p99: number, non2xx: number, errors: number }} Run */
/** @param {string} url @param {string} cookie @returns {Promise<Run>} */
function autocannon(url, cookie) {
  const bin = join(ROOT, 'node_modules/.bin/autocannon');
  return new Promise((resolve, reject) => {
    const child = spawn(
      bin,
      [
        '-j',
        '-c',
        String(conns),
        '-d',
        String(seconds),
        '-H',
        'host=app.acme.test',
        '-H',
        `cookie=${cookie}`,
        `${url}/x`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (/** @type {Buffer} */ c) => (out += c));
    child.once('exit', () => {
      try {
        const j = JSON.parse(out);
        resolve({
          rps: j.requests.average,
          p50: j.latency.p50,
          p99: j.latency.p99,
          non2xx: j.non2xx,
          errors: j.errors,
        });
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** @type {Record<number, Run[]>} */
const results = { 1: [], 2: [] };
for (let round = 1; round <= rounds; round++) {
  for (const w of [1, 2]) {
    const g = await startGateway(w);
    const cookie = await cookieFor(g.url);
    for (let i = 0; i < 200; i++) await req(g.url, '/x', { headers: { cookie } }); // warm
    const r = await autocannon(g.url, cookie);
    results[w]?.push(r);
    console.log(
      `round ${round} workers ${w}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`,
    );
    g.child.kill('SIGTERM');
    await new Promise((r) => g.child.once('exit', r));
  }
}
/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
for (const w of [1, 2]) {
  const runs = results[w] ?? [];
  const rps = runs.map((r) => r.rps);
  console.log(
    `workers ${w}: median ${median(rps).toFixed(0)} req/s (range ${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}), p99 median ${median(runs.map((r) => r.p99))} ms`,
  );
}
const rpsOf = (/** @type {number} */ w) => median((results[w] ?? []).map((r) => r.rps));
console.log(`ratio 2/1: ${(rpsOf(2) / rpsOf(1)).toFixed(2)}`);
upstream.close();
process.exit(0);
