// The bearer-jwt authenticator on its own: a token signed with the tenant's key, for the
// right issuer, tenant and audience, unexpired, not denied, naming a live session of its
// subject. Every other token is refused with its reason; no header is "not responsible".
import t from 'tap';
import { SignJWT, generateKeyPair } from 'jose';
import { bearerJwt, bearerToken } from '../../src/authn/bearer-jwt.js';
import { NOT_RESPONSIBLE } from '../../src/authn/types.js';
import type { AppRuntime, TenantRuntime } from '../../src/registry.js';
import { accessToken, MIN, saveSession, scopeFor, stepFixture, type StepFixture } from '../helpers/step-deps.js';

function withBearer(
  f: StepFixture,
  authorization: string | undefined,
  o: { tenant?: TenantRuntime; app?: AppRuntime } = {},
) {
  return scopeFor(
    { headers: authorization === undefined ? {} : { authorization } },
    { tenant: o.tenant ?? f.acme, ...(o.app ? { app: o.app } : {}) },
  );
}

t.test('the header grammar', async (t) => {
  t.equal(bearerToken(undefined), null);
  t.equal(bearerToken('Basic YWxpY2U6eA=='), null, 'another scheme: not ours');
  t.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  t.equal(bearerToken('bearer   abc '), 'abc', 'scheme case-insensitive, spaces tolerated');
  t.equal(bearerToken('Bearer '), '', 'the scheme without a token');
  t.equal(bearerToken('Bearer a b'), '', 'two tokens');
  t.equal(bearerToken(['Bearer a', 'Bearer b']), null, 'a repeated header is not read');
});

t.test('no bearer credential: not responsible; a bare scheme is malformed', async (t) => {
  const f = await stepFixture(t);
  t.equal(await bearerJwt.authenticate(withBearer(f, undefined), f.deps), NOT_RESPONSIBLE);
  t.equal(await bearerJwt.authenticate(withBearer(f, 'Basic eDp5'), f.deps), NOT_RESPONSIBLE);
  t.same(await bearerJwt.authenticate(withBearer(f, 'Bearer '), f.deps), { ok: false, reason: 'malformed_bearer' });
});

t.test('a client_credentials token: the client, no user and no session', async (t) => {
  const f = await stepFixture(t);
  const { token, claims } = await accessToken(f, {
    subject: 'billing-service',
    clientId: 'billing-service',
    scope: 'sessions:admin',
  });
  const scope = withBearer(f, `Bearer ${token}`);
  t.same(await bearerJwt.authenticate(scope, f.deps), { ok: true, credential: 'bearer', session: null, user: null });
  t.same(scope.token, claims, 'the verified claims are on the scope');
});

t.test("a user's token: its live session and the user", async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  const { token } = await accessToken(f, { sessionId: s.session.id });
  t.match(await bearerJwt.authenticate(withBearer(f, `Bearer ${token}`), f.deps), {
    ok: true,
    credential: 'bearer',
    session: { id: s.session.id },
    user: { id: 'u-bob' },
  });
});

t.test('an expired token is refused, also once it was cached as verified', async (t) => {
  const f = await stepFixture(t);
  const { token } = await accessToken(f, { lifetimeSeconds: 60 });
  t.match(await bearerJwt.authenticate(withBearer(f, `Bearer ${token}`), f.deps), { ok: true });
  f.deps.clock.advance(2 * MIN);
  t.same(await bearerJwt.authenticate(withBearer(f, `Bearer ${token}`), f.deps), { ok: false, reason: 'jwt_expired' });
});

t.test('a token of another tenant, issuer or audience is refused', async (t) => {
  const f = await stepFixture(t);
  const foreignTid = await accessToken(f, { tenant: 'globex' });
  t.same(await bearerJwt.authenticate(withBearer(f, `Bearer ${foreignTid.token}`), f.deps), {
    ok: false,
    reason: 'wrong_tenant',
  });
  const globex = await accessToken(f, { issuer: f.globex.issuer, audience: f.globex.issuer, tenant: 'globex' });
  t.match(
    await bearerJwt.authenticate(withBearer(f, `Bearer ${globex.token}`), f.deps),
    { ok: false },
    "globex's token at acme",
  );
  t.match(
    await bearerJwt.authenticate(withBearer(f, `Bearer ${globex.token}`, { tenant: f.globex }), f.deps),
    { ok: true },
    'the same token at globex',
  );
  // An app expects its own audience: the tenant's own (aud = issuer) token is not for it.
  const billing = f.registry.appForHost('billing.acme.test')!;
  const own = await accessToken(f);
  t.match(
    await bearerJwt.authenticate(withBearer(f, `Bearer ${own.token}`, { app: billing }), f.deps),
    { ok: false },
    'wrong audience',
  );
  const forBilling = await accessToken(f, { audience: 'billing-api' });
  t.match(await bearerJwt.authenticate(withBearer(f, `Bearer ${forBilling.token}`, { app: billing }), f.deps), {
    ok: true,
  });
  t.match(
    await bearerJwt.authenticate(withBearer(f, `Bearer ${forBilling.token}`), f.deps),
    { ok: false },
    "billing's token at the tenant's own endpoints",
  );
});

t.test('a tampered, re-signed or unsigned token is refused', async (t) => {
  const f = await stepFixture(t);
  const { token, claims } = await accessToken(f);
  const [h, p, sig] = token.split('.') as [string, string, string];
  const admin = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url');
  t.same(await bearerJwt.authenticate(withBearer(f, `Bearer ${h}.${admin}.${sig}`), f.deps), {
    ok: false,
    reason: 'jws_signature_verification_failed',
  });
  const { privateKey } = await generateKeyPair('RS256');
  const otherKey = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: f.deps.keys.signing.kid, typ: 'at+jwt' })
    .sign(privateKey);
  t.same(
    await bearerJwt.authenticate(withBearer(f, `Bearer ${otherKey}`), f.deps),
    {
      ok: false,
      reason: 'jws_signature_verification_failed',
    },
    'our kid, another key',
  );
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${p}.`;
  t.match(await bearerJwt.authenticate(withBearer(f, `Bearer ${none}`), f.deps), { ok: false }, 'alg none');
  t.same(await bearerJwt.authenticate(withBearer(f, 'Bearer not-a-jwt'), f.deps), {
    ok: false,
    reason: 'malformed_token',
  });
});

t.test('a revoked token is refused: from the LRU, and from the store deny list', async (t) => {
  const f = await stepFixture(t);
  const a = await accessToken(f);
  t.match(await bearerJwt.authenticate(withBearer(f, `Bearer ${a.token}`), f.deps), { ok: true }, 'cached as verified');
  f.deps.revocations.add(a.claims.jti);
  t.same(await bearerJwt.authenticate(withBearer(f, `Bearer ${a.token}`), f.deps), {
    ok: false,
    reason: 'token_revoked',
  });
  const b = await accessToken(f);
  await f.deps.store.denyToken('acme', b.claims.jti, (b.claims.exp + 60) * 1000, f.deps.clock.now());
  t.same(await bearerJwt.authenticate(withBearer(f, `Bearer ${b.token}`), f.deps), {
    ok: false,
    reason: 'token_revoked',
  });
});

t.test('a token whose session ended, was revoked or belongs to another user is refused', async (t) => {
  const f = await stepFixture(t);
  const gone = await saveSession(f);
  const t1 = await accessToken(f, { sessionId: gone.session.id });
  await f.deps.store.deleteSession('acme', gone.session.id);
  t.same(await bearerJwt.authenticate(withBearer(f, `Bearer ${t1.token}`), f.deps), {
    ok: false,
    reason: 'session_gone',
  });

  const revoked = await saveSession(f);
  const t2 = await accessToken(f, { sessionId: revoked.session.id });
  f.deps.revocations.add(revoked.session.id);
  t.same(await bearerJwt.authenticate(withBearer(f, `Bearer ${t2.token}`), f.deps), {
    ok: false,
    reason: 'token_revoked',
  });

  const alices = await saveSession(f, { userId: 'u-alice' });
  const t3 = await accessToken(f, { sessionId: alices.session.id, subject: 'u-bob' });
  t.same(await bearerJwt.authenticate(withBearer(f, `Bearer ${t3.token}`), f.deps), {
    ok: false,
    reason: 'session_gone',
  });

  const orphan = await saveSession(f, { userId: 'u-gone' });
  const t4 = await accessToken(f, { sessionId: orphan.session.id, subject: 'u-gone' });
  t.same(await bearerJwt.authenticate(withBearer(f, `Bearer ${t4.token}`), f.deps), {
    ok: false,
    reason: 'user_no_longer_exists',
  });
});
