// Forged, tampered and misdirected access tokens at a proxied app (SPEC §4, issue 3):
// each one is a 401 with an RFC 6750 `error="invalid_token"` challenge (never a 5xx), the
// upstream never sees the request, and the gateway never fetches a key a token names.
// Every attack is one change away from a positive control that is accepted.
import { createPublicKey, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { issueAccessToken } from '../../src/tokens/access-token.js';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, testKeys, PASSWORDS } from '../helpers/gateway.js';
import { hasCode, rawCode } from '../helpers/error-code.js';

const DASH = 'dashboard.acme.test';
const BILLING = 'billing.acme.test';
const GLOBEX = 'portal.globex.test';

const g = await startTestGateway();
t.teardown(g.stop);
const keys = await testKeys();
const ISSUER = `${g.config.server.publicUrl}/t/acme`;
const GLOBEX_ISSUER = `${g.config.server.publicUrl}/t/globex`;
const realKid = keys.signing.kid;

// A server that would serve an attacker's keys: it must never be asked.
const keyServerHits: string[] = [];
const attacker = await generateKeyPair('RS256', { extractable: true });
const attackerJwk: JWK = { ...(await exportJWK(attacker.publicKey)), alg: 'RS256', use: 'sig' };
attackerJwk.kid = await calculateJwkThumbprint(attackerJwk);
const keyServer = http.createServer((req, res) => {
  keyServerHits.push(req.url ?? '');
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ keys: [attackerJwk] }));
});
await new Promise<void>((r) => keyServer.listen(0, '127.0.0.1', r));
const keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
t.teardown(() => new Promise<void>((r) => keyServer.close(() => r())));

const nowS = (): number => Math.floor(g.clock.now() / 1000);

/** Claims of a valid client token for the dashboard (no session: only the token decides). */
function baseClaims(): JWTPayload & Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: 'billing-service',
    aud: ISSUER,
    client_id: 'billing-service',
    exp: nowS() + 600,
    iat: nowS(),
    jti: randomBytes(16).toString('base64url'),
    scope: '',
    tid: 'acme',
    roles: [],
  };
}

/** Signs with the gateway's real key; `header` and `claims` change one thing at a time. */
function mint(
  claims: Record<string, unknown> = baseClaims(),
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  return new SignJWT(claims as JWTPayload)
    .setProtectedHeader({ alg: 'RS256', kid: realKid, typ: 'at+jwt', ...header } as JWTHeaderParameters)
    .sign(keys.signing.key);
}
function without(name: string): Record<string, unknown> {
  const c = baseClaims();
  delete c[name];
  return c;
}

async function bearer(token: string, host = DASH, path = '/reports'): Promise<{ res: Response; upstreamSaw: number }> {
  const before = g.upstream.seen.length;
  const res = await request(g.url, path, {
    headers: { host, accept: 'application/json', authorization: `Bearer ${token}` },
  });
  return { res, upstreamSaw: g.upstream.seen.length - before };
}

async function refused(t: Test, token: string, what: string, host = DASH): Promise<void> {
  const { res, upstreamSaw } = await bearer(token, host);
  t.equal(res.status, 401, `${what}: 401`);
  hasCode(t, res, 'ERR_GK_UNAUTHENTICATED', what);
  t.match(
    String(res.headers['www-authenticate']),
    /^Bearer realm="[a-z]+", error="invalid_token"/,
    `${what}: error="invalid_token"`,
  );
  t.equal(res.json().error, 'invalid_token');
  t.equal(upstreamSaw, 0, `${what}: the upstream never sees it`);
}

async function accepted(t: Test, token: string, what: string, host = DASH): Promise<void> {
  const { res, upstreamSaw } = await bearer(token, host);
  t.equal(res.status, 200, `${what}: accepted (positive control)`);
  t.equal(upstreamSaw, 1);
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const segments = (tok: string): [string, string, string] => tok.split('.') as [string, string, string];

t.test('positive controls: the token shapes the attacks start from are accepted', async (t) => {
  await accepted(t, await mint(), 'a client token signed by the gateway key');
  const { jar } = await login(g.url, { username: 'alice', password: PASSWORDS.alice });
  const csrf = (
    await request(g.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie: jar.header() } })
  ).json<{ csrfToken: string }>().csrfToken;
  const st = await request(g.url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: DASH, cookie: jar.header(), 'x-csrf-token': csrf },
  });
  t.equal(st.status, 200);
  const { res } = await bearer(st.json<{ access_token: string }>().access_token);
  t.equal(res.status, 200, 'a session token');
  t.equal(res.json<{ headers: Record<string, string> }>().headers['x-auth-user'], 'u-alice');
});

t.test('alg: none', async (t) => {
  const unsigned = new UnsecuredJWT(baseClaims()).encode();
  await refused(t, unsigned, 'alg none, empty signature');
  const [, p] = segments(unsigned);
  await refused(
    t,
    `${b64({ alg: 'none', typ: 'at+jwt', kid: realKid })}.${p}.${randomBytes(32).toString('base64url')}`,
    'alg none with a signature part',
  );
  await refused(t, `${b64({ alg: 'NONE', typ: 'at+jwt', kid: realKid })}.${p}.`, 'alg NONE');
});

t.test('HS256 signed with the RSA public key as the HMAC secret', async (t) => {
  const jwks = (await request(g.url, '/t/acme/.well-known/jwks.json', { headers: { host: DASH } })).json<{
    keys: JWK[];
  }>();
  const pub = jwks.keys.find((k) => k.kid === realKid)!;
  t.ok(pub.n && pub.e, 'the JWKS publishes n and e');
  const key = createPublicKey({ key: { kty: 'RSA', n: pub.n!, e: pub.e! }, format: 'jwk' });
  const secrets = [
    key.export({ type: 'spki', format: 'pem' }) as string,
    key.export({ type: 'pkcs1', format: 'pem' }) as string,
    JSON.stringify({ kty: 'RSA', n: pub.n, e: pub.e }),
  ];
  for (const [i, secret] of secrets.entries()) {
    for (const alg of ['HS256', 'HS512']) {
      const tok = await new SignJWT(baseClaims())
        .setProtectedHeader({ alg, kid: realKid, typ: 'at+jwt' })
        .sign(new TextEncoder().encode(secret));
      await refused(t, tok, `${alg} with public key form ${i}`);
    }
  }
});

t.test('kid: unknown, missing, path and SQL payloads', async (t) => {
  await refused(t, await mint(baseClaims(), { kid: 'unknown-kid' }), 'unknown kid');
  await refused(t, await mint(baseClaims(), { kid: undefined }), 'no kid');
  await refused(t, await mint(baseClaims(), { kid: '../../etc/passwd' }), 'kid ../../etc/passwd');
  await refused(t, await mint(baseClaims(), { kid: "' OR 1=1 --" }), "kid ' OR 1=1 --");
  await refused(t, await mint(baseClaims(), { kid: '/dev/null' }), 'kid /dev/null');
  // The real kid with another key's signature.
  const forged = await new SignJWT(baseClaims())
    .setProtectedHeader({ alg: 'RS256', kid: realKid, typ: 'at+jwt' })
    .sign(attacker.privateKey);
  await refused(t, forged, 'the real kid, signed by another key');
});

t.test('jku / jwk / x5u / x5c: a token never chooses its key, and nothing is fetched', async (t) => {
  const signAttacker = (header: Record<string, unknown>) =>
    new SignJWT(baseClaims())
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', ...header } as JWTHeaderParameters)
      .sign(attacker.privateKey);
  await refused(t, await signAttacker({ jwk: attackerJwk }), 'embedded jwk, valid attacker signature');
  await refused(t, await signAttacker({ jwk: attackerJwk, kid: realKid }), 'embedded jwk with the real kid');
  await refused(
    t,
    await signAttacker({ jku: `${keyServerUrl}/jwks.json`, kid: attackerJwk.kid }),
    'jku to an attacker JWKS',
  );
  await refused(t, await signAttacker({ jku: `${keyServerUrl}/jwks.json`, kid: realKid }), 'jku with the real kid');
  await refused(
    t,
    await signAttacker({ x5u: `${keyServerUrl}/cert.pem`, kid: attackerJwk.kid }),
    'x5u to an attacker certificate',
  );
  await refused(t, await signAttacker({ x5c: ['MIIB'], kid: realKid }), 'x5c');
  // Even the gateway's own valid signature does not make a key-choosing header acceptable.
  await refused(t, await mint(baseClaims(), { jku: `${keyServerUrl}/jwks.json` }), 'jku on a correctly signed token');
  t.same(keyServerHits, [], 'no outbound connection to the key URL');
});

t.test('typ must be at+jwt', async (t) => {
  await refused(t, await mint(baseClaims(), { typ: 'JWT' }), 'typ JWT');
  await refused(t, await mint(baseClaims(), { typ: undefined }), 'no typ');
  await refused(t, await mint(baseClaims(), { typ: 'gk-assertion+jwt' }), 'the X-Auth-Jwt assertion typ');
});

t.test('iss must be exactly the tenant issuer; tid the tenant', async (t) => {
  await refused(t, await mint({ ...baseClaims(), iss: `${ISSUER}/` }), 'iss with a trailing slash');
  await refused(t, await mint({ ...baseClaims(), iss: GLOBEX_ISSUER }), 'iss of tenant globex');
  await refused(t, await mint({ ...baseClaims(), iss: ISSUER.toUpperCase() }), 'iss in upper case');
  await refused(t, await mint({ ...baseClaims(), tid: 'globex' }), 'tid globex');
  await refused(t, await mint(without('iss')), 'no iss');
});

t.test('aud must be the audience the app expects', async (t) => {
  const issue = (audience: string) =>
    issueAccessToken(keys, {
      issuer: ISSUER,
      subject: 'billing-api-client',
      audience,
      clientId: 'billing-api-client',
      scope: '',
      sessionId: null,
      authTime: null,
      tenant: 'acme',
      roles: [],
      lifetimeSeconds: 600,
      now: g.clock.now(),
    });
  const forBilling = (await issue('billing-api')).token;
  const forDashboard = (await issue(ISSUER)).token;
  await accepted(t, forBilling, 'a billing-api token at billing', BILLING);
  await accepted(t, forDashboard, 'an issuer-audience token at the dashboard', DASH);
  await refused(t, forBilling, 'a billing-api token at the dashboard', DASH);
  await refused(t, forDashboard, 'a dashboard token at billing (aud billing-api expected)', BILLING);
  await refused(t, await mint({ ...baseClaims(), aud: 'dashboard' }), 'aud = the app name');
  await refused(t, await mint({ ...baseClaims(), aud: GLOBEX_ISSUER }), 'aud of tenant globex');
  await refused(t, await mint(without('aud')), 'no aud');
});

t.test('expiry and not-before (the gateway clock decides)', async (t) => {
  const { token } = await issueAccessToken(keys, {
    issuer: ISSUER,
    subject: 'billing-service',
    audience: ISSUER,
    clientId: 'billing-service',
    scope: '',
    sessionId: null,
    authTime: null,
    tenant: 'acme',
    roles: [],
    lifetimeSeconds: 60,
    now: g.clock.now(),
  });
  await accepted(t, token, 'a 60 s token while it lives');
  await accepted(t, token, 'and again (now from the verified-token cache)');
  g.clock.advance(66_000);
  await refused(t, token, 'the same token after exp (+ leeway): even a cached one');
  await refused(t, await mint({ ...baseClaims(), exp: nowS() - 60 }), 'exp a minute ago');
  await refused(t, await mint({ ...baseClaims(), nbf: nowS() + 120 }), 'nbf two minutes ahead');
  await accepted(t, await mint({ ...baseClaims(), nbf: nowS() - 1 }), 'nbf in the past');
  await refused(t, await mint(without('exp')), 'no exp');
  await refused(t, await mint({ ...baseClaims(), exp: String(nowS() + 600) }), 'exp as a string');
});

t.test('required claims', async (t) => {
  await refused(t, await mint(without('jti')), 'missing jti');
  await refused(t, await mint(without('sub')), 'missing sub');
  await refused(t, await mint(without('client_id')), 'missing client_id');
  await refused(t, await mint(without('tid')), 'missing tid');
  await refused(t, await mint({ ...baseClaims(), jti: 42 }), 'jti not a string');
  await refused(t, await mint({ ...baseClaims(), sid: 'sess_doesnotexist' }), 'a sid of no live session');
});

t.test('one flipped byte', async (t) => {
  const good = await mint();
  await accepted(t, good, 'the untouched token');
  const [h, p, s] = segments(good);
  const sig = Buffer.from(s, 'base64url');
  sig[100] = sig[100]! ^ 0x01;
  await refused(t, `${h}.${p}.${sig.toString('base64url')}`, 'a flipped bit in the signature');
  const payload = Buffer.from(p, 'base64url');
  const at = payload.indexOf('billing-service') + 3;
  payload[at] = payload[at]! ^ 0x01; // "bilminy-..." still valid JSON, another subject
  await refused(t, `${h}.${payload.toString('base64url')}.${s}`, 'a flipped bit in the payload');
  const header = Buffer.from(h, 'base64url');
  const kidAt = header.indexOf(realKid);
  header[kidAt] = header[kidAt]! ^ 0x01;
  await refused(t, `${header.toString('base64url')}.${p}.${s}`, 'a flipped bit in the header');
});

t.test('malformed tokens', async (t) => {
  const [h, p, s] = segments(await mint());
  await refused(t, `${h}.${p}`, '2 segments');
  await refused(t, `${h}.${p}.${s}.${s}`, '4 segments');
  await refused(t, `${h}..${s}`, 'an empty payload');
  await refused(t, `${h}.${p}.${s}=`, 'base64 padding');
  await refused(t, `${h}.${Buffer.from('not json').toString('base64url')}.${s}`, 'a payload that is not JSON');
  await refused(t, `${Buffer.from('[]').toString('base64url')}.${p}.${s}`, 'a header that is not an object');
  await refused(t, 'a'.repeat(9000), 'a 9000-character token (over the token limit, under the header limit)');
  await refused(t, `${h}.${p}.${'A'.repeat(9000)}`, 'an oversized signature');
});

t.test('a 1 MB token: 431 from the header limit, never a 5xx', async (t) => {
  const token = 'a'.repeat(1024 * 1024);
  const head = `GET /reports HTTP/1.1\r\nHost: ${DASH}\r\nAccept: application/json\r\nAuthorization: Bearer ${token}\r\n\r\n`;
  const u = new URL(g.url);
  const before = g.upstream.seen.length;
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    let got = '';
    socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
    // The gateway answers and closes while we are still writing: a reset is expected.
    socket.on('error', (err: NodeJS.ErrnoException) =>
      got ? resolve(got) : err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(got) : reject(err),
    );
    socket.on('close', () => resolve(got));
    socket.write(head);
  });
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
  t.equal(status, 431, '431 Request Header Fields Too Large');
  t.equal(rawCode({ head: raw.split('\r\n\r\n', 1)[0]! }), 'ERR_GK_HEADERS_TOO_LARGE', 'its code in the header');
  t.equal(g.upstream.seen.length, before, 'nothing forwarded');
  // The gateway is still healthy afterwards.
  await accepted(t, await mint(), 'the next request');
});

t.test('a token in the query string is ignored', async (t) => {
  const good = await mint();
  const q = await request(g.url, `/reports?access_token=${good}`, {
    headers: { host: DASH, accept: 'application/json' },
  });
  t.equal(q.status, 401, '?access_token= does not authenticate');
  hasCode(t, q, 'ERR_GK_UNAUTHENTICATED');
  t.equal(q.headers['www-authenticate'], 'Bearer realm="acme"', 'as if no credential was sent');
  const before = g.upstream.seen.length;
  const pub = await request(g.url, `/public/x?access_token=${good}`, {
    headers: { host: DASH, accept: 'application/json' },
  });
  t.equal(pub.status, 200, 'an anonymous route is served');
  t.equal(g.upstream.seen[before]?.headers['x-auth-user'], undefined, 'without an identity');
  const form = await request(g.url, '/reports', {
    method: 'POST',
    headers: { host: DASH, accept: 'application/json' },
    form: { access_token: good },
  });
  t.equal(form.status, 401, 'a form-body access_token does not authenticate either');
  hasCode(t, form, 'ERR_GK_UNAUTHENTICATED');
});

t.test("a valid acme token is worthless at globex's host", async (t) => {
  const good = await mint();
  await accepted(t, good, 'at acme');
  await refused(t, good, 'at globex', GLOBEX);
  await refused(
    t,
    await mint({ ...baseClaims(), iss: GLOBEX_ISSUER, aud: GLOBEX_ISSUER }),
    'iss/aud of globex but tid acme, at globex',
    GLOBEX,
  );
});
