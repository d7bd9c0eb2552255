// @ts-check
/* global process, setTimeout */
// Apache httpd + mod_auth_openidc as an OAuth 2.0 resource server (`AuthType oauth20`)
// validating the gateway's own access tokens, proxying with mod_proxy_http to the bench
// upstream: the reference for the gateway's bearer modes. Its own ServerRoot, config,
// PidFile and ErrorLog in a temp dir, a free loopback port, mpm_event in one process with a
// thread per load connection, pinned to the servers' core like everything measured. Before
// it is measured it must accept a gateway token (200, reaching the upstream) and refuse
// the tokens of bad-tokens.mjs and a request without one (401/403, not reaching it).
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { badTokens } from './bad-tokens.mjs';
import { APP_HOST, SLUG, issueTokens } from './gateway.mjs';
import { request } from './http.mjs';
import { jwksHttpsUnavailable, serveJwksHttps } from './jwks-https.mjs';
import { descendants, freePort, pidOf, runToEnd, spawnPinned, stopChild, which } from './proc.mjs';

/** @typedef {import('./fleet.mjs').Fleet} Fleet */
/** @typedef {import('./types.js').Alg} Alg */
/** @typedef {import('./types.js').Server} Server */
/** @typedef {import('./types.js').TokensOrSkip} TokensOrSkip */
/** @typedef {{ bin: string, modulesDir: string, builtIn: Set<string> }} ApacheInstall */

export const APACHE_INSTALL_HINT =
  'Debian/Ubuntu: `sudo apt-get install -y --no-install-recommends apache2 libapache2-mod-auth-openidc`';
const BINARIES = ['apache2', '/usr/sbin/apache2', 'httpd', '/usr/sbin/httpd'];
const MODULE_DIRS = ['/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules'];
// module name -> its .so (or .c when compiled in); unixd is compiled into Debian's apache2.
const MODULES = ['mpm_event', 'unixd', 'authn_core', 'authz_core', 'auth_openidc', 'proxy', 'proxy_http'];

/** @returns {Promise<ApacheInstall | { missing: string }>} */
export async function findApache() {
  const bin = BINARIES.map((b) => (b.startsWith('/') ? (existsSync(b) ? b : null) : which(b))).find((b) => b !== null);
  if (!bin) return { missing: `Apache httpd is not installed (${APACHE_INSTALL_HINT})` };
  const modulesDir = MODULE_DIRS.find((d) => existsSync(join(d, 'mod_proxy.so')));
  if (!modulesDir)
    return { missing: `no Apache modules directory with mod_proxy.so (looked in ${MODULE_DIRS.join(', ')})` };
  if (!existsSync(join(modulesDir, 'mod_auth_openidc.so')))
    return { missing: `mod_auth_openidc is not installed (${APACHE_INSTALL_HINT})` };
  const listed = await runToEnd(null, bin, ['-l'], { timeoutMs: 10_000 });
  const builtIn = new Set([...listed.stdout.matchAll(/^\s*mod_(\w+)\.c$/gm)].map((m) => m[1] ?? ''));
  const absent = MODULES.filter((m) => !builtIn.has(m) && !existsSync(join(modulesDir, `mod_${m}.so`)));
  if (absent.length) return { missing: `Apache modules missing in ${modulesDir}: ${absent.join(', ')}` };
  return { bin, modulesDir, builtIn };
}

/**
 * Why the Apache modes cannot run with this signing algorithm, or null.
 * @param {Alg} alg
 */
export function apacheAlgUnavailable(alg) {
  // Checked by hand with Debian 12's 2.4.12.3: "cjose_jws_import failed: invalid argument".
  if (alg === 'EdDSA')
    return 'mod_auth_openidc cannot read EdDSA tokens (its JOSE library, cjose 0.6, refuses them): run with --alg ES256 or RS256';
  if (alg === 'ES256') return jwksHttpsUnavailable();
  return null;
}

/**
 * The account the worker processes run as when Apache is started as root (it refuses to
 * serve as root); null otherwise (they keep ours).
 * @returns {Promise<{ user: string, group: string } | null>}
 */
async function workerAccount() {
  if (process.getuid?.() !== 0) return null;
  /** @param {string} file @param {string} name */
  const has = async (file, name) => new RegExp(`^${name}:`, 'm').test(await readFile(file, 'utf8').catch(() => ''));
  for (const user of ['www-data', 'apache', 'daemon', 'nobody']) {
    if (await has('/etc/passwd', user)) return { user, group: (await has('/etc/group', user)) ? user : '#-1' };
  }
  return null;
}

/**
 * @param {{
 *   install: ApacheInstall, dir: string, port: number, upstreamUrl: string, threads: number,
 *   account: { user: string, group: string } | null, keyLines: string[], issuer: string, audience: string,
 * }} c
 */
export function apacheConfig({ install, dir, port, upstreamUrl, threads, account, keyLines, issuer, audience }) {
  const loads = MODULES.filter((m) => !install.builtIn.has(m)).map(
    (m) => `LoadModule ${m}_module ${join(install.modulesDir, `mod_${m}.so`)}`,
  );
  return `# written by bench/lib/apache.mjs
ServerRoot ${dir}
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile ${join(dir, 'httpd.pid')}
DefaultRuntimeDir ${dir}
ErrorLog ${join(dir, 'error.log')}
# warn, and no access log: like the gateway at LOG_LEVEL=warn
LogLevel warn
${loads.join('\n')}
${account ? `User ${account.user}\nGroup ${account.group}\n` : ''}
# mpm_event, one process, a thread for each load connection (the listener keeps idle
# keep-alive connections), keep-alive as long as the Node servers'.
StartServers 1
ServerLimit 1
ThreadLimit ${threads}
ThreadsPerChild ${threads}
MaxRequestWorkers ${threads}
MinSpareThreads 1
MaxSpareThreads ${threads}
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 120

# OAuth 2.0 resource server: the token's signature (gateway key), exp, then iss and aud
# as the gateway itself checks them.
${keyLines.join('\n')}
<Location />
  AuthType oauth20
  <RequireAll>
    Require claim iss:${issuer}
    Require claim aud:${audience}
  </RequireAll>
</Location>
ProxyPass / ${upstreamUrl}/ keepalive=On
`;
}

/**
 * @param {{
 *   fleet: Fleet, label: string, upstreamUrl: string, connections: number, issuer: Server, cookie: string,
 *   keysFile: string | null, upstreamHits: () => Promise<number>, log: (...a: unknown[]) => void,
 * }} o
 * @returns {Promise<Server>}
 */
export async function startApache({
  fleet,
  label,
  upstreamUrl,
  connections,
  issuer,
  cookie,
  keysFile,
  upstreamHits,
  log,
}) {
  const install = await findApache();
  if ('missing' in install) throw new Error(install.missing);
  if (!keysFile)
    throw new Error(
      "the gateway has no keys file: the check that Apache refuses expired tokens needs the gateway's private key",
    );
  /** @param {number} n @returns {Promise<TokensOrSkip>} */
  const tokens = (n) => issueTokens(issuer.url, cookie, n);
  const first = await tokens(1);
  if ('skip' in first) throw new Error(`no gateway token for Apache to verify: ${first.skip}`);
  const valid = first.tokens[0] ?? '';
  const claims = decodeJwt(valid);
  const audience = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
  if (typeof claims.iss !== 'string' || typeof audience !== 'string')
    throw new Error('the gateway token has no iss or aud');

  // World-readable dir (public keys, config, logs): the worker processes may run as another user.
  const dir = await mkdtemp(join(os.tmpdir(), 'gk-bench-apache-'));
  await chmod(dir, 0o755);
  fleet.defer(() => rm(dir, { recursive: true, force: true }));
  const jwksDoc = (await request(`${issuer.url}/t/${SLUG}/.well-known/jwks.json`, { headers: { host: APP_HOST } }))
    .body;
  /** @type {{ keys: (import('node:crypto').JsonWebKey & { kid?: string })[] }} */
  const jwks = JSON.parse(jwksDoc);
  const keyLines = await keyDirectives(jwks, jwksDoc, dir, fleet);
  const keySource = keyLines[0]?.split(' ')[0] ?? '';

  const port = await freePort();
  const threads = Math.max(64, connections);
  const conf = join(dir, 'httpd.conf');
  await writeFile(
    conf,
    apacheConfig({
      install,
      dir,
      port,
      upstreamUrl,
      threads,
      account: await workerAccount(),
      keyLines,
      issuer: claims.iss,
      audience,
    }),
  );
  const check = await runToEnd(null, install.bin, ['-t', '-f', conf], { timeoutMs: 30_000 });
  if (check.code !== 0) {
    throw new Error(
      `apache2 -t refused the bench's config (${check.code ?? check.signal}): ${(check.stderr || check.stdout).trim().replace(/\s+/g, ' ')}`,
    );
  }
  const child = spawnPinned(fleet.cpus, install.bin, ['-f', conf, '-DFOREGROUND']);
  fleet.track(label, child);
  const url = `http://127.0.0.1:${port}`;
  const errorLog = async () =>
    (await readFile(join(dir, 'error.log'), 'utf8').catch(() => '')).split('\n').slice(-12).join('\n');
  let verdict;
  try {
    await waitForHttp(child, url, 20_000);
    verdict = await checkAuthentication(url, valid, await badTokens(valid, keysFile), upstreamHits);
    log(`${label}: authenticates correctly — ${verdict}`);
  } catch (err) {
    await stopChild(child);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${await errorLog()}`, { cause: err });
  }
  const pid = pidOf(child);
  const version =
    (await runToEnd(null, install.bin, ['-v'], { timeoutMs: 10_000 })).stdout
      .split('\n')[0]
      ?.replace(/^Server version:\s*/, '') ?? '';
  const details =
    `${version}, mod_auth_openidc ${await moduleVersion()}, mpm_event 1 process × ${threads} threads, gateway keys through ${keySource}; ` +
    `authentication checked before the load: ${verdict}`;
  return { label, pid, url, child, pids: () => [pid, ...descendants([pid])], tokens, details };
}

/** mod_auth_openidc's package version (Debian or RPM), for the record. */
async function moduleVersion() {
  for (const [cmd, args] of /** @type {[string, string[]][]} */ ([
    ['dpkg-query', ['-W', '-f', '${Version}', 'libapache2-mod-auth-openidc']],
    ['rpm', ['-q', '--qf', '%{VERSION}-%{RELEASE}', 'mod_auth_openidc']],
  ])) {
    if (!which(cmd)) continue;
    const r = await runToEnd(null, cmd, args, { timeoutMs: 10_000 }).catch(() => null);
    if (r?.code === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return '(version unknown)';
}

/**
 * mod_auth_openidc's key directives: RSA keys as PEM files (OIDCOAuthVerifyCertFiles
 * kid#file), EC keys through a JWKS URL served over https (see jwks-https.mjs).
 * @param {{ keys: (import('node:crypto').JsonWebKey & { kid?: string })[] }} jwks
 * @param {string} jwksDoc
 * @param {string} dir
 * @param {Fleet} fleet
 */
async function keyDirectives(jwks, jwksDoc, dir, fleet) {
  const kinds = new Set(jwks.keys.map((k) => k.kty));
  if (kinds.size !== 1 || !(kinds.has('RSA') || kinds.has('EC'))) {
    throw new Error(`the gateway's JWKS holds ${[...kinds].join(', ')} keys; Apache takes RSA or EC`);
  }
  if (kinds.has('EC')) {
    const served = await serveJwksHttps(dir, jwksDoc);
    fleet.defer(served.close);
    return [
      `OIDCOAuthVerifyJwksUri ${served.url}`,
      '# a throwaway self-signed certificate on 127.0.0.1',
      'OIDCOAuthSSLValidateServer Off',
    ];
  }
  const files = [];
  for (const [i, jwk] of jwks.keys.entries()) {
    const file = join(dir, `gateway-key-${i}.pem`);
    await writeFile(
      file,
      /** @type {string} */ (createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' })),
    );
    files.push(`${jwk.kid}#${file}`);
  }
  return [`OIDCOAuthVerifyCertFiles ${files.join(' ')}`];
}

/**
 * Resolves once `url` answers HTTP at all; rejects when the process exits first or on timeout.
 * @param {import('./types.js').Child} child
 * @param {string} url
 * @param {number} timeoutMs
 */
async function waitForHttp(child, url, timeoutMs) {
  const by = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`apache2 exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${child.tail}`);
    }
    const ok = await request(url, { timeoutMs: 1000 }).then(
      () => true,
      () => false,
    );
    if (ok) return;
    if (Date.now() > by) throw new Error(`apache2 not answering on ${url} after ${timeoutMs} ms:\n${child.tail}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The gateway token must get a 200 that reached the upstream; no token and every bad token
 * a 401 or 403 that did not. Throws with every deviation; returns a one-line verdict.
 * @param {string} url
 * @param {string} valid
 * @param {Record<string, string>} bad
 * @param {() => Promise<number>} upstreamHits
 */
export async function checkAuthentication(url, valid, bad, upstreamHits) {
  /** @type {[string, string | null, boolean][]} */
  const cases = [
    ['a gateway token', valid, true],
    ['no token', null, false],
    ...Object.entries(bad).map(([what, t]) => /** @type {[string, string, boolean]} */ ([`a token ${what}`, t, false])),
  ];
  const wrong = [];
  const seen = [];
  for (const [what, token, accept] of cases) {
    const before = await upstreamHits();
    const r = await request(`${url}/`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const reached = (await upstreamHits()) - before;
    seen.push(`${what} ${r.status}`);
    const got = `${what} answered ${r.status} and reached the upstream ${reached} times`;
    if (accept && (r.status !== 200 || reached !== 1)) wrong.push(`${got} (expected 200, once)`);
    if (!accept && (![401, 403].includes(r.status) || reached !== 0)) wrong.push(`${got} (expected 401 or 403, never)`);
  }
  if (wrong.length) throw new Error(`Apache + mod_auth_openidc does not authenticate correctly: ${wrong.join('; ')}`);
  return seen.join(', ');
}
