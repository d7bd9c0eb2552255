// X-Auth-Jwt at the gateway (issue 16 item 5): two instances started from one keys file sign
// with the same assertion key (same kid), and the assertion verifies against either one's
// JWKS with its kid and alg, `aud` = the app, 60 s. The assertion key never authenticates a
// request: a replayed X-Auth-Jwt and a forged access token signed with the assertion key are
// refused on bearer routes (401, the upstream never sees them) and inactive at introspection.
// The keys file is ES256, the assertion's own algorithm: only the kid tells the keys apart.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { loadConfigText } from '../../src/config/load.js';
import { startGateway } from '../../src/server.js';
import { generateJwks, keySetFromFile, type KeySet } from '../../src/tokens/keys.js';
import { ManualClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/log.js';
import { testConfigYaml, PASSWORDS, SECRETS } from '../helpers/gateway.js';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startUpstream } from '../helpers/upstream.js';

const DASH = 'dashboard.acme.test';
const NOW = Date.UTC(2026, 10, 26, 12);
const RESOURCE = `Basic ${Buffer.from(`resource-server:${SECRETS.other}`).toString('base64')}`;

const dir = t.testdir({});
const keysFile = join(dir, 'keys.json');
await writeFile(keysFile, JSON.stringify(await generateJwks('ES256')));
const upstream = await startUpstream();
t.teardown(() => upstream.close());
const config = loadConfigText(await testConfigYaml(upstream.url), { source: 'test.yaml' });
const quiet = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** One gateway instance: its own KeySet read from the shared keys file, as a restart or a second host would. */
async function instance(): Promise<{ url: string; keys: KeySet; clock: ManualClock }> {
  const keys = await keySetFromFile(keysFile, 'ES256', NOW / 1000);
  const clock = new ManualClock(NOW);
  const gw = await startGateway(config, { clock, log: quiet, keys });
  t.teardown(() => gw.stop());
  return { url: gw.url, keys, clock };
}
const a = await instance();
const b = await instance();
const ISSUER = `${config.server.publicUrl}/t/acme`;

const jwksOf = async (url: string): Promise<JSONWebKeySet> =>
  (await request(url, '/t/acme/.well-known/jwks.json', { headers: { host: DASH } })).json<JSONWebKeySet>();

/** The X-Auth-Jwt the upstream received for alice's session on this instance. */
async function assertionFrom(url: string): Promise<string> {
  const { jar } = await login(url, { username: 'alice', password: PASSWORDS.alice });
  const res = await request(url, '/reports', { headers: { host: DASH, cookie: jar.header() } });
  const jwt = res.json<{ headers: Record<string, string> }>().headers['x-auth-jwt'];
  if (res.status !== 200 || !jwt) throw new Error(`no X-Auth-Jwt (${res.status})`);
  return jwt;
}

async function bearer(url: string, token: string): Promise<{ res: Response; upstreamSaw: number }> {
  const before = upstream.seen.length;
  const res = await request(url, '/reports', {
    headers: { host: DASH, accept: 'application/json', authorization: `Bearer ${token}` },
  });
  return { res, upstreamSaw: upstream.seen.length - before };
}

async function introspect(url: string, token: string): Promise<Record<string, unknown>> {
  const res = await request(url, '/t/acme/api/v1/oauth/introspect', {
    method: 'POST',
    headers: { host: DASH, authorization: RESOURCE },
    form: { token },
  });
  t.equal(res.status, 200, 'introspection answers');
  return res.json<Record<string, unknown>>();
}

/** A client token for the dashboard (aud = the issuer), signed with `key` under `kid`. */
function accessToken(key: KeySet['signing']['key'], kid: string): Promise<string> {
  const iat = Math.floor(NOW / 1000);
  return new SignJWT({ client_id: 'billing-service', scope: '', tid: 'acme', roles: ['admin'] } as JWTPayload)
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setSubject('billing-service')
    .setAudience(ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 600)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(key);
}

async function refusedEverywhere(t: Test, token: string, what: string): Promise<void> {
  for (const url of [a.url, b.url]) {
    const { res, upstreamSaw } = await bearer(url, token);
    t.equal(res.status, 401, `${what}: 401 on a bearer route`);
    t.match(String(res.headers['www-authenticate']), /error="invalid_token"/, `${what}: invalid_token`);
    t.equal(upstreamSaw, 0, `${what}: the upstream never sees it`);
    t.same(await introspect(url, token), { active: false }, `${what}: inactive at introspection`);
  }
}

t.test('two instances, one keys file: the same assertion key, verifiable against either JWKS', async (t) => {
  t.equal(a.keys.assertion.kid, b.keys.assertion.kid, 'the same kid on both instances');
  const [jwksA, jwksB] = [await jwksOf(a.url), await jwksOf(b.url)];
  t.same(jwksA, jwksB, 'the same JWKS');
  t.match(
    jwksA.keys.find((k) => k.kid === a.keys.assertion.kid),
    { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' },
    'the assertion key is published with its alg and use',
  );
  t.notOk(
    jwksA.keys.some((k) => k.kid === a.keys.assertion.kid && k.d),
    'without its private part',
  );
  for (const [from, other] of [
    [a, jwksB],
    [b, jwksA],
  ] as const) {
    const jwt = await assertionFrom(from.url);
    t.match(decodeProtectedHeader(jwt), { alg: 'ES256', kid: a.keys.assertion.kid, typ: 'gk-assertion+jwt' });
    t.not(decodeProtectedHeader(jwt).kid, a.keys.signing.kid, 'not the access-token key');
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(other), {
      issuer: ISSUER,
      audience: 'dashboard',
      algorithms: ['ES256'],
      typ: 'gk-assertion+jwt',
      currentDate: new Date(NOW),
    });
    t.match(payload, { sub: 'u-alice', aud: 'dashboard', tid: 'acme', email: 'alice@acme.test' });
    t.equal(payload.exp, payload.iat! + 60, 'exp: 60 s after iat');
  }
});

t.test('the assertion key is not an access-token key: replayed and forged tokens are refused', async (t) => {
  const control = await accessToken(a.keys.signing.key, a.keys.signing.kid);
  t.equal((await bearer(b.url, control)).res.status, 200, 'control: a client token signed with the access key passes');
  t.equal((await introspect(b.url, control)).active, true, 'control: active at introspection');

  await refusedEverywhere(t, await assertionFrom(a.url), 'an X-Auth-Jwt replayed as a bearer token');
  // The same claims as the control, signed by the assertion key (its kid, or the access key's kid).
  await refusedEverywhere(t, await accessToken(a.keys.assertion.key, a.keys.assertion.kid), 'assertion key, its kid');
  await refusedEverywhere(
    t,
    await accessToken(a.keys.assertion.key, a.keys.signing.kid),
    'assertion key under the access kid',
  );
});
