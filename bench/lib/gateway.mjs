// @ts-check
/* global process, Buffer, URL, URLSearchParams */
// Running the real gateway for the bench: build, a config file in a temp dir (Redis store,
// one tenant, one app in front of the bench upstream), a child process started on its
// `listening on` line, a login through the real form, and access tokens when the gateway
// issues them.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cookieHeader, request, setCookies } from './http.mjs';
import { pidOf, runToEnd, spawnPinned, waitForLine } from './proc.mjs';

/** @typedef {import('./types.js').Alg} Alg */
/** @typedef {import('./types.js').Child} Child */
/** @typedef {import('./types.js').TokensOrSkip} TokensOrSkip */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const MAIN = join(ROOT, 'dist/main.js');

export const SLUG = 'bench';
export const APP_HOST = 'bench.test';
export const USER = { id: 'u-bench', username: 'bench', password: 'bench-password-not-secret' };

/** `npm run build`; { ok, ms, output } (tsc still emits JavaScript when it reports type errors). */
export async function build() {
  const t0 = Date.now();
  const r = await runToEnd(null, 'npm', ['run', '--silent', 'build'], { timeoutMs: 300_000 });
  return { ok: r.code === 0, ms: Date.now() - t0, output: (r.stdout + r.stderr).trim() };
}

/** @param {string} password */
export async function hashPassword(password) {
  const r = await runToEnd(null, process.execPath, [CLI, 'hash-password'], {
    input: `${password}\n`,
    timeoutMs: 60_000,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('$scrypt$'))
    throw new Error(`hash-password failed (${r.code}): ${r.stderr || r.stdout}`);
  return last;
}

/** A private JWKS from `keys generate`, so every gateway process signs with the same key; null when unavailable. @param {Alg} alg */
export async function generateKeys(alg) {
  const r = await runToEnd(null, process.execPath, [CLI, 'keys', 'generate', '--alg', alg], { timeoutMs: 60_000 });
  if (r.code !== 0) return null;
  try {
    JSON.parse(r.stdout);
    return r.stdout;
  } catch {
    return null;
  }
}

/** @param {{ redisUrl: string, upstreamUrl: string, passwordHash: string, keysFile: string | null, alg: Alg }} c */
export function configYaml({ redisUrl, upstreamUrl, passwordHash, keysFile, alg }) {
  return `# written by bench/lib/gateway.mjs
server:
  listen: 127.0.0.1:0
  publicUrl: http://gw.${APP_HOST}
  trustedProxies: [loopback]
  shutdownTimeout: 2s
store:
  redis: ${redisUrl}
  keyPrefix: "gk:"
keys:
  file: ${keysFile ? JSON.stringify(keysFile) : 'null'}
  algorithm: ${alg}
tenants:
  ${SLUG}:
    displayName: Bench
    settings:
      idleTimeout: 30m
      sessionLifetime: 24h
    users:
      - { id: ${USER.id}, username: ${USER.username}, email: bench@bench.test, name: Bench User, roles: [], passwordHash: "${passwordHash}" }
    apps:
      - name: bench-app
        hosts: [${APP_HOST}]
        upstream: ${upstreamUrl}
        identityHeaders: true
        routes:
          - { path: /**, require: authenticated }
`;
}

/**
 * Writes the config (and keys) into `dir` and checks it with `check-config`; returns its path.
 * @param {string} dir
 * @param {{ redisUrl: string, upstreamUrl: string, alg: Alg }} c
 * @returns {Promise<{ file: string, keysFile: string | null }>}
 */
export async function writeConfig(dir, { redisUrl, upstreamUrl, alg }) {
  const passwordHash = await hashPassword(USER.password);
  const jwks = await generateKeys(alg);
  let keysFile = null;
  if (jwks) {
    keysFile = join(dir, 'keys.json');
    await writeFile(keysFile, jwks, { mode: 0o600 });
  }
  const file = join(dir, 'gateway.yaml');
  await writeFile(file, configYaml({ redisUrl, upstreamUrl, passwordHash, keysFile, alg }));
  const check = await runToEnd(null, process.execPath, [CLI, 'check-config', '--config', file], { timeoutMs: 60_000 });
  if (check.code !== 0) throw new Error(`the bench's gateway config is invalid:\n${check.stdout}${check.stderr}`);
  return { file, keysFile };
}

/**
 * Starts `node dist/main.js --config FILE` on `cpus`; resolves once it prints its URL.
 * @param {string} configFile
 * @param {string | null} cpus
 * @returns {Promise<{ child: Child, pid: number, url: string }>}
 */
export async function startGateway(configFile, cpus, label = 'gateway') {
  const child = spawnPinned(cpus, process.execPath, [MAIN, '--config', configFile], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production' },
  });
  const m = await waitForLine(child, /listening on (http:\/\/[^\s]+)/, { label });
  return { child, pid: pidOf(child), url: (m[1] ?? '').replace(/\/$/, '') };
}

/** Logs in through the real form; returns the `Cookie` header value of the session cookie. @param {string} baseUrl */
export async function login(baseUrl) {
  const form = await request(`${baseUrl}/t/${SLUG}/login?rd=/`, { headers: { host: APP_HOST, accept: 'text/html' } });
  if (form.status !== 200) throw new Error(`GET /t/${SLUG}/login answered ${form.status}`);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)?.[1];
  if (!csrf) throw new Error('no csrf_token field in the login form');
  const jar = setCookies(form);
  const body = new URLSearchParams({
    username: USER.username,
    password: USER.password,
    csrf_token: csrf,
    rd: '/',
  }).toString();
  const res = await request(`${baseUrl}/t/${SLUG}/login`, {
    method: 'POST',
    body,
    headers: {
      host: APP_HOST,
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
      cookie: cookieHeader(jar),
    },
  });
  const got = setCookies(res);
  const name = Object.keys(got).find((k) => new RegExp(`(^|-)gk_${SLUG}$`).test(k) && got[k] !== '');
  if (res.status !== 302 || !name || got[name] === undefined) {
    throw new Error(
      `login failed: POST /t/${SLUG}/login answered ${res.status} without a session cookie\n${res.body.slice(0, 500)}`,
    );
  }
  return `${name}=${got[name]}`;
}

/**
 * `n` access tokens bound to the cookie's session (POST /api/v1/session/token with the
 * CSRF token from GET /api/v1/session). { tokens } or { skip: reason }.
 * @param {string} baseUrl
 * @param {string} cookie
 * @param {number} n
 * @returns {Promise<TokensOrSkip>}
 */
export async function issueTokens(baseUrl, cookie, n) {
  const s = await request(`${baseUrl}/t/${SLUG}/api/v1/session`, {
    headers: { host: APP_HOST, cookie, accept: 'application/json' },
  });
  if (s.status === 404)
    return { skip: `GET /t/${SLUG}/api/v1/session answered 404: the session API is not implemented yet` };
  if (s.status !== 200) return { skip: `GET /t/${SLUG}/api/v1/session answered ${s.status}` };
  const csrf = JSON.parse(s.body).csrfToken;
  /** @type {string[]} */
  const tokens = [];
  const one = async () => {
    const r = await request(`${baseUrl}/t/${SLUG}/api/v1/session/token`, {
      method: 'POST',
      body: '',
      headers: { host: APP_HOST, cookie, 'x-csrf-token': csrf, accept: 'application/json', 'content-length': 0 },
    });
    return r;
  };
  // A few at a time: 1,000 sequential round trips would take seconds for nothing.
  while (tokens.length < n) {
    const batch = await Promise.all(Array.from({ length: Math.min(16, n - tokens.length) }, one));
    for (const r of batch) {
      if (r.status === 404)
        return { skip: `POST /t/${SLUG}/api/v1/session/token answered 404: access tokens are not implemented yet` };
      if (r.status !== 200)
        return { skip: `POST /t/${SLUG}/api/v1/session/token answered ${r.status}: ${r.body.slice(0, 200)}` };
      /** @type {unknown} */
      const t = JSON.parse(r.body).access_token;
      if (typeof t !== 'string') return { skip: 'the token endpoint answered 200 without access_token' };
      tokens.push(t);
    }
  }
  if (new Set(tokens).size !== tokens.length)
    return { skip: `the token endpoint returned duplicate tokens (${new Set(tokens).size} distinct of ${n})` };
  return { tokens };
}
