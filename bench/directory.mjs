#!/usr/bin/env node
// @ts-check
/* global process, console, URL, URLSearchParams, Buffer, performance, setTimeout */
// `npm run bench:directory`: the user directory at scale (issue 16 item 1). Writes a users
// file of --users users (default 100,000; realistic names, emails and roles, one scrypt hash
// shared by all), then measures on the built gateway (dist/, memory store):
//   check-config   wall time of `gatekeeper check-config`
//   start          spawn → "listening on", and the process's RSS then (VmRSS, peak VmHWM)
//   GET /api/v1/users  first page (limit 50), a page from the middle by cursor, limit 500,
//                  and prefix searches (median of --samples runs each)
//   SIGHUP reload  time until "configuration reloaded", and every request answered while it
//                  ran (--probes requests in flight, back to back): the longest, p99, count;
//                  the same probes for --control seconds before the signal, as a control (on
//                  a busy machine the scheduler alone delays requests, reload or not)
//   RSS after the reload
// Prints a table and, with --json FILE, writes the numbers.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, hashPassword, ROOT } from './lib/gateway.mjs';
import { cookieHeader, request, setCookies } from './lib/http.mjs';
import { killAllChildren, pidOf, runToEnd, spawnPinned, stopChild, waitForLine } from './lib/proc.mjs';

const HELP = `usage: npm run bench:directory -- [options]
  --users N      users in the file (default 100000)
  --probes N     requests in flight during the reload (default 4)
  --control S    seconds of the same probes before the signal, as a control (default 5)
  --samples N    runs per page measurement (default 5)
  --no-build     use dist/ as it is
  --keep         keep the temp directory (its path is printed)
  --json FILE    also write the numbers as JSON`;

const SLUG = 'dir';
const HOST = 'dir.bench.test';
const ADMIN = { username: 'admin', password: 'admin-password-not-secret' };
const FIRST = ['ada', 'alan', 'barbara', 'claude', 'donald', 'edsger', 'frances', 'grace', 'hedy', 'ivan', 'john'];
const LAST = [
  'lovelace',
  'turing',
  'liskov',
  'shannon',
  'knuth',
  'dijkstra',
  'allen',
  'hopper',
  'lamarr',
  'sutherland',
];
const ROLES = ['[]', '[staff]', '[staff, dev]', '[ops]', '[finance]'];

function options() {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '100000' },
      probes: { type: 'string', default: '4' },
      control: { type: 'string', default: '5' },
      samples: { type: 'string', default: '5' },
      'no-build': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  return {
    users: Number(values.users),
    probes: Number(values.probes),
    control: Number(values.control),
    samples: Number(values.samples),
    build: !values['no-build'],
    keep: values.keep,
    json: values.json,
  };
}

/** User i (≥ 1) of the generated file. @param {number} i */
function generated(i) {
  const first = FIRST[i % FIRST.length] ?? 'x';
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length] ?? 'y';
  const username = `${first}.${last}${i}`;
  const cap = (/** @type {string} */ w) => `${w[0]?.toUpperCase()}${w.slice(1)}`;
  return { username, email: `${username}@corp.example.com`, name: `${cap(first)} ${cap(last)} ${i}` };
}

/** How many users a search for `q` matches (prefix of username, email or a name word). @param {number} n @param {string} q */
function matchCount(n, q) {
  let c = 0;
  for (let i = 1; i < n; i++) {
    const u = generated(i);
    const words = u.name.toLowerCase().split(' ');
    if (u.username.startsWith(q) || u.email.startsWith(q) || words.some((w) => w.startsWith(q))) c++;
  }
  return c;
}

/** The users file: the admin first, then n-1 generated users (every name distinct). @param {number} n @param {string} hash */
function usersYaml(n, hash) {
  const lines = [
    `- id: u-admin\n  username: ${ADMIN.username}\n  email: admin@example.com\n  name: The Admin\n  roles: [admin]\n  passwordHash: "${hash}"`,
  ];
  for (let i = 1; i < n; i++) {
    const u = generated(i);
    lines.push(
      `- id: u-${String(i).padStart(7, '0')}\n  username: ${u.username}\n  email: ${u.email}\n` +
        `  name: ${u.name}\n  roles: ${ROLES[i % ROLES.length]}\n  passwordHash: "${hash}"`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** @param {string} usersFile */
const configYaml = (usersFile) => `# written by bench/directory.mjs
server:
  listen: 127.0.0.1:0
  publicUrl: http://gw.${HOST}
  trustedProxies: [loopback]
  shutdownTimeout: 2s
tenants:
  ${SLUG}:
    users: { file: ${JSON.stringify(usersFile)} }
    apps:
      - name: app
        hosts: [${HOST}]
        upstream: http://127.0.0.1:9
        routes:
          - { path: /**, require: authenticated }
`;

/** kB of VmRSS and VmHWM (peak) of a process. @param {number} pid */
function mem(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (/** @type {string} */ k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

/** @param {string} url */
async function login(url) {
  const form = await request(`${url}/t/${SLUG}/login?rd=/`, { headers: { host: HOST, accept: 'text/html' } });
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  const body = new URLSearchParams({ ...ADMIN, csrf_token: csrf, rd: '/' }).toString();
  const res = await request(`${url}/t/${SLUG}/login`, {
    method: 'POST',
    body,
    headers: {
      host: HOST,
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
      cookie: cookieHeader(setCookies(form)),
    },
  });
  const got = setCookies(res);
  const name = Object.keys(got).find((k) => k.endsWith(`gk_${SLUG}`) && got[k]);
  if (res.status !== 302 || !name) throw new Error(`admin login failed: ${res.status} ${res.body.slice(0, 300)}`);
  return `${name}=${got[name]}`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
/** One keep-alive GET; { status, ms, body }. @param {string} url @param {string} path @param {string} cookie */
function timedGet(url, path, cookie) {
  const u = new URL(url);
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: u.hostname, port: u.port, path, agent, headers: { host: HOST, cookie, accept: 'application/json' } },
        (res) => {
          /** @type {Buffer[]} */
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              ms: Number(process.hrtime.bigint() - t0) / 1e6,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      )
      .on('error', reject);
  });
}

/** @param {number[]} xs @param {number} q */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const median = (/** @type {number[]} */ xs) => quantile(xs, 0.5);
const r1 = (/** @type {number} */ x) => Math.round(x * 10) / 10;

async function main() {
  const o = options();
  if (o.build) {
    const b = await build();
    if (!b.ok) console.error(`note: the build reported errors (dist/ may lag the source):\n${b.output.slice(-2000)}`);
  }
  const dir = await mkdtemp(join(os.tmpdir(), 'gk-bench-directory-'));
  const results = /** @type {Record<string, unknown>} */ ({ users: o.users, cpus: os.cpus().length });
  try {
    const hash = await hashPassword(ADMIN.password);
    const usersFile = join(dir, 'users.yaml');
    const text = usersYaml(o.users, hash);
    await writeFile(usersFile, text);
    const configFile = join(dir, 'gateway.yaml');
    await writeFile(configFile, configYaml(usersFile));
    results.fileMb = r1(Buffer.byteLength(text) / 1048576);
    const cli = join(ROOT, 'dist/cli.js');

    let t0 = performance.now();
    const check = await runToEnd(null, process.execPath, [cli, 'check-config', '--config', configFile], {
      timeoutMs: 600_000,
    });
    results.checkConfigMs = Math.round(performance.now() - t0);
    if (check.code !== 0) throw new Error(`check-config refused the file:\n${check.stdout}${check.stderr}`);

    t0 = performance.now();
    const child = spawnPinned(null, process.execPath, [cli, 'start', '--config', configFile], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'production' },
    });
    const m = await waitForLine(child, /listening on (http:\/\/[^\s]+)/, { label: 'gateway', timeoutMs: 600_000 });
    results.startMs = Math.round(performance.now() - t0);
    const pid = pidOf(child);
    const url = (m[1] ?? '').replace(/\/$/, '');
    results.afterStart = mem(pid);
    try {
      const cookie = await login(url);
      const api = `/t/${SLUG}/api/v1/users`;
      /** @param {string} path */
      const pageMs = async (path) => {
        const ms = [];
        let body = '';
        for (let i = 0; i < o.samples; i++) {
          const r = await timedGet(url, path, cookie);
          if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 200)}`);
          ms.push(r.ms);
          body = r.body;
        }
        return {
          ms: r1(median(ms)),
          firstMs: r1(ms[0] ?? NaN),
          bytes: Buffer.byteLength(body),
          count: body.startsWith('{') ? JSON.parse(body).users.length : null,
        };
      };
      const first = await timedGet(url, `${api}?limit=50`, cookie);
      const mid = Buffer.from(`e\u0000`).toString('base64url'); // the middle of the generated names (a… to j…)
      results.page = {
        first50: await pageMs(`${api}`),
        middle50: await pageMs(`${api}?cursor=${mid}`),
        first500: await pageMs(`${api}?limit=500`),
        searchGrace: { ...(await pageMs(`${api}?q=grace`)), matches: matchCount(o.users, 'grace') },
        searchHopper: { ...(await pageMs(`${api}?q=hopper`)), matches: matchCount(o.users, 'hopper') },
        searchOneLetter: { ...(await pageMs(`${api}?q=a`)), matches: matchCount(o.users, 'a') },
        portal20: await pageMs(`/t/${SLUG}/portal/access-management/users`),
      };
      if (first.status !== 200) throw new Error(`GET ${api}: ${first.status}`);

      // The probes: back-to-back requests, their times collected into `into`.
      /** @type {number[]} */
      let into = [];
      let probing = true;
      let errors = 0;
      const probe = async () => {
        while (probing) {
          const r = await timedGet(url, `${api}?limit=10`, cookie).catch(() => null);
          if (!r || r.status !== 200) errors++;
          else into.push(r.ms);
        }
      };
      const probes = Array.from({ length: o.probes }, probe);
      await new Promise((r) => setTimeout(r, 300)); // connections warm
      into = [];
      await new Promise((r) => setTimeout(r, o.control * 1000));
      const control = into;
      // SIGHUP with the probes running: every answer's time while the reload runs.
      into = [];
      const reloaded = waitForLine(child, /configuration reloaded|configuration reload refused/, {
        label: 'gateway',
        timeoutMs: 600_000,
      });
      t0 = performance.now();
      process.kill(pid, 'SIGHUP');
      const line = await reloaded;
      results.reloadMs = Math.round(performance.now() - t0);
      const during = into;
      probing = false;
      await Promise.all(probes);
      if (!/configuration reloaded/.test(line[0])) throw new Error(`the reload was refused:\n${child.tail}`);
      /** @param {number[]} xs */
      const stats = (xs) => ({
        requests: xs.length,
        maxMs: r1(Math.max(...xs)),
        p99Ms: r1(quantile(xs, 0.99)),
        p50Ms: r1(median(xs)),
        over50: xs.filter((x) => x > 50).length,
      });
      results.probeErrors = errors;
      results.control = { seconds: o.control, ...stats(control) };
      results.duringReload = stats(during);
      results.loadAverage = os.loadavg().map(r1);
      results.afterReload = mem(pid);
    } finally {
      await stopChild(child);
    }
    print(results);
    if (o.json) await writeFile(o.json, `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    agent.destroy();
    killAllChildren();
    if (o.keep) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

/** @param {Record<string, any>} r */
function print(r) {
  const p = r.page;
  const row = (/** @type {string} */ k, /** @type {string} */ v) => console.log(`${k.padEnd(44)} ${v}`);
  console.log(`\nUser directory, ${r.users.toLocaleString('en')} users (${r.fileMb} MB YAML), ${r.cpus} CPUs`);
  row('check-config', `${(r.checkConfigMs / 1000).toFixed(1)} s`);
  row('start (spawn → listening)', `${(r.startMs / 1000).toFixed(1)} s`);
  row('RSS after start (peak)', `${r.afterStart.rssMb} MB (${r.afterStart.peakMb} MB)`);
  row('GET /api/v1/users first page (50)', `${p.first50.ms} ms, ${p.first50.bytes} B`);
  row('GET /api/v1/users page by cursor (50)', `${p.middle50.ms} ms`);
  row('GET /api/v1/users?limit=500', `${p.first500.ms} ms, ${p.first500.bytes} B`);
  // A search's matches are kept for the next pages: the first call is the cost of a new search.
  const search = (/** @type {Record<string, number>} */ x) =>
    `${x.firstMs} ms new, ${x.ms} ms paging on (${x.matches} matches)`;
  row('GET /api/v1/users?q=grace', search(p.searchGrace));
  row('GET /api/v1/users?q=hopper', search(p.searchHopper));
  row('GET /api/v1/users?q=a (a short prefix)', search(p.searchOneLetter));
  if (p.portal20) row('portal users page (20)', `${p.portal20.ms} ms`);
  row('SIGHUP reload (signal → reloaded)', `${(r.reloadMs / 1000).toFixed(1)} s`);
  /** @param {Record<string, number>} d */
  const probes = (d) =>
    `${d.requests} answered; longest ${d.maxMs} ms, p99 ${d.p99Ms} ms, p50 ${d.p50Ms} ms, ${d.over50} over 50 ms`;
  row('requests during the reload', probes(r.duringReload));
  row(`control: the same, ${r.control.seconds} s before the signal`, probes(r.control));
  row('failed probe requests', String(r.probeErrors));
  row('load average (1, 5, 15 min) at the end', r.loadAverage.join(', '));
  row('RSS after the reload (peak)', `${r.afterReload.rssMb} MB (${r.afterReload.peakMb} MB)`);
}

main().catch((err) => {
  console.error(err);
  killAllChildren();
  process.exit(1);
});
