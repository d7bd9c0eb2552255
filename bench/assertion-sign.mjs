#!/usr/bin/env node
// @ts-check
/* global process, console, Buffer */
// `npm run bench:assertion` (issue 16 item 5): what one X-Auth-Jwt signature costs with jose
// on this machine, per algorithm, with the assertion's real header and claims. Sequential
// (one signature at a time: the latency a request waits for) and with 64 in flight (what a
// busy gateway sees: jose signs through WebCrypto, whose jobs run on libuv's thread pool).
// A last row signs the same JWS with node:crypto's synchronous Ed25519 (no jose, no thread
// pool) for reference: the floor of what the signature itself costs.
// Last, the memory one cached assertion takes (the cache's key string and the JWT in an
// lru-cache, as src/tokens/assertion.ts keeps them), which with the signing cost sizes the cache.
// Prints a table; `--json` prints the numbers as JSON instead.
import { randomBytes, sign as cryptoSign, generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { generateKeyPair, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';

const ALGS = /** @type {const} */ (['RS256', 'ES256', 'EdDSA']);
const SECONDS = Number(process.env.SECONDS ?? 1);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const IN_FLIGHT = 64;

/** @param {import('jose').CryptoKey} key @param {string} alg */
function sign(key, alg) {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({
    tid: 'acme',
    email: 'alice@acme.test',
    name: 'Alice Admin',
    roles: ['admin'],
    sid: 'x'.repeat(40),
  })
    .setProtectedHeader({ alg, kid: 'k'.repeat(43), typ: 'gk-assertion+jwt' })
    .setIssuer('https://gw.example.com/t/acme')
    .setSubject('u-alice')
    .setAudience('dashboard')
    .setIssuedAt(iat)
    .setExpirationTime(iat + 60)
    .setJti(randomBytes(12).toString('base64url'))
    .sign(key);
}

/** Signatures per second and mean µs per signature over `SECONDS`, `inFlight` at a time. */
async function measure(
  /** @type {import('jose').CryptoKey} */ key,
  /** @type {string} */ alg,
  /** @type {number} */ inFlight,
) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  let n = 0;
  const lane = async () => {
    while (performance.now() < end) {
      await sign(key, alg);
      n++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    perSecond: Math.round((n / ms) * 1000),
    usPerSign: Math.round(((ms * 1000) / n) * inFlight * 10) / 10,
    cpuUsPerSign: Math.round(((cpu.user + cpu.system) / n) * 10) / 10,
  };
}

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
/** @param {Array<{ perSecond: number, usPerSign: number, cpuUsPerSign: number }>} runs */
const med = (runs) => ({
  perSecond: median(runs.map((r) => r.perSecond)),
  usPerSign: median(runs.map((r) => r.usPerSign)),
  cpuUsPerSign: median(runs.map((r) => r.cpuUsPerSign)),
});

// Interleaved rounds (RS256 ES256 EdDSA, RS256 ES256 EdDSA, …), median per cell: drift and
// other processes land on every algorithm alike.
/** @typedef {{ perSecond: number, usPerSign: number, cpuUsPerSign: number }} Cell */
/** @type {Array<{ alg: string, key: import('jose').CryptoKey, seq: Cell[], par: Cell[] }>} */
const keys = [];
for (const alg of ALGS) {
  const { privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  await measure(privateKey, alg, 1); // warm-up (JIT, thread pool)
  keys.push({ alg, key: privateKey, seq: [], par: [] });
}
for (let round = 0; round < ROUNDS; round++)
  for (const k of keys) {
    k.seq.push(await measure(k.key, k.alg, 1));
    k.par.push(await measure(k.key, k.alg, IN_FLIGHT));
  }
const rows = [];
for (const k of keys)
  rows.push({ alg: k.alg, sequential: med(k.seq), concurrent: med(k.par), bytes: (await sign(k.key, k.alg)).length });

{
  // Reference: the signature alone, synchronous, on the event loop.
  const { privateKey } = generateKeyPairSync('ed25519');
  const input = Buffer.from('e'.repeat(420));
  const n = 20_000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) cryptoSign(null, input, privateKey);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const r = {
    perSecond: Math.round((n / ms) * 1000),
    usPerSign: Math.round(((ms * 1000) / n) * 10) / 10,
    cpuUsPerSign: Math.round(((cpu.user + cpu.system) / n) * 10) / 10,
  };
  rows.push({ alg: 'EdDSA, node:crypto sync (reference)', sequential: r, concurrent: r, bytes: 557 });
}

/** Heap bytes per cached assertion with `n` entries (needs --expose-gc for a clean number). */
async function cacheBytesPerEntry(/** @type {number} */ n, /** @type {number} */ jwtBytes) {
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  gc?.();
  const h0 = process.memoryUsage().heapUsed;
  const cache = new LRUCache({ max: n });
  for (let i = 0; i < n; i++) {
    // The shape of the cache key: app, tenant, session id, user, client, auth_time, roles, email, name.
    const key = `dashboard\0acme\0${randomBytes(30).toString('base64url')}\0u-user${i}\0\0${1764158400000 + i}\0admin,dev\0user${i}@acme.test\0User Number ${i}`;
    // A flat string of its own per entry, as a signed JWT is (no slice sharing the memory of another).
    cache.set(key, { jwt: randomBytes(Math.ceil((jwtBytes * 3) / 4)).toString('base64url'), exp: 1764158460 + i });
  }
  gc?.();
  const bytes = (process.memoryUsage().heapUsed - h0) / n;
  return { entries: cache.size, bytesPerEntry: Math.round(bytes), gcExposed: gc !== undefined };
}
const memory = await cacheBytesPerEntry(100_000, 557);

if (process.argv.includes('--json')) {
  console.log(
    JSON.stringify(
      { node: process.version, seconds: SECONDS, rounds: ROUNDS, inFlight: IN_FLIGHT, rows, memory },
      null,
      2,
    ),
  );
} else {
  console.log(
    `jose signing of an X-Auth-Jwt, node ${process.version}, median of ${ROUNDS} interleaved rounds × ${SECONDS} s per cell`,
  );
  console.log(
    '| alg | 1 at a time: µs/sign | signs/s | CPU µs/sign | 64 in flight: signs/s | CPU µs/sign | JWT bytes |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.alg} | ${r.sequential.usPerSign} | ${r.sequential.perSecond} | ${r.sequential.cpuUsPerSign} | ${r.concurrent.perSecond} | ${r.concurrent.cpuUsPerSign} | ${r.bytes} |`,
    );
  console.log(
    `cache: ${memory.bytesPerEntry} heap bytes per cached assertion (${memory.entries} entries${memory.gcExposed ? '' : ', run with node --expose-gc for a clean number'})`,
  );
}
