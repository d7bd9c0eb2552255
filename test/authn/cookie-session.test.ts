// The cookie-session authenticator on its own, against the real memory store: a valid
// `<id>.<secret>` cookie names its session and user; every forged, tampered, foreign,
// revoked or orphaned cookie is refused, and an absent cookie is "not responsible".
import t from 'tap';
import { cookieSession } from '../../src/authn/cookie-session.js';
import { NOT_RESPONSIBLE } from '../../src/authn/types.js';
import { newSecret, newSessionId } from '../../src/session/ids.js';
import { saveSession, scopeFor, stepFixture, type StepFixture } from '../helpers/step-deps.js';

function withCookie(f: StepFixture, cookie: string | undefined, tenant = f.acme) {
  return scopeFor({ headers: cookie === undefined ? {} : { cookie } }, { tenant });
}
const refused = { ok: false, reason: 'invalid_session_cookie' };

t.test('a valid cookie names its session and user', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  const r = await cookieSession.authenticate(withCookie(f, `other=1; gk_acme=${s.cookie}; x=y`), f.deps);
  t.match(r, {
    ok: true,
    credential: 'cookie',
    session: { id: s.session.id },
    user: { id: 'u-bob', name: 'Bob Builder' },
  });
  t.equal(f.acme.cookie.name, 'gk_acme', 'the tenant cookie name the test uses');
});

t.test('no session cookie: not responsible (the next authenticator is asked)', async (t) => {
  const f = await stepFixture(t);
  t.equal(await cookieSession.authenticate(withCookie(f, undefined), f.deps), NOT_RESPONSIBLE);
  t.equal(await cookieSession.authenticate(withCookie(f, 'gk_globex=x; theme=dark'), f.deps), NOT_RESPONSIBLE);
});

t.test('a tampered secret, a forged id or a malformed value is refused', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  const flipped = s.secret.slice(0, -1) + (s.secret.endsWith('A') ? 'B' : 'A');
  for (const [what, value] of [
    ['one character of the secret changed', `${s.session.id}.${flipped}`],
    ['another valid-looking secret', `${s.session.id}.${newSecret()}`],
    ['a forged id with a secret', `${newSessionId('acme', 'u-bob')}.${s.secret}`],
    ['the id alone', s.session.id],
    ['the secret hash as the secret', `${s.session.id}.${s.session.secretHash}`],
    ['empty', ''],
    ['garbage', 'not-a-session'],
  ] as const) {
    t.same(await cookieSession.authenticate(withCookie(f, `gk_acme=${value}`), f.deps), refused, what);
  }
  t.match(
    await cookieSession.authenticate(withCookie(f, `gk_acme=${s.cookie}`), f.deps),
    { ok: true },
    'the real one still works',
  );
});

t.test('a wrong secret is refused also once the record and its secret are cached', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  t.match(
    await cookieSession.authenticate(withCookie(f, `gk_acme=${s.cookie}`), f.deps),
    { ok: true },
    'fills the read cache',
  );
  t.same(
    await cookieSession.authenticate(withCookie(f, `gk_acme=${s.session.id}.${newSecret()}`), f.deps),
    refused,
    'a cache hit does not skip the secret check',
  );
  t.ok(f.deps.readCache.hits > 0, 'the second read was a cache hit');
});

t.test('a session of another tenant is refused under this tenant', async (t) => {
  const f = await stepFixture(t);
  const g = await saveSession(f, { tenant: 'globex', userId: 'u-alice' });
  t.same(
    await cookieSession.authenticate(withCookie(f, `gk_acme=${g.cookie}`), f.deps),
    refused,
    'globex session under acme',
  );
  t.match(
    await cookieSession.authenticate(withCookie(f, `gk_globex=${g.cookie}`, f.globex), f.deps),
    { ok: true, user: { email: 'alice@globex.test' } },
    'under its own tenant',
  );
});

t.test('a revoked session is refused from the LRU before the store is asked', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  f.deps.revocations.add(s.session.id);
  t.same(await cookieSession.authenticate(withCookie(f, `gk_acme=${s.cookie}`), f.deps), refused);
  t.ok(await f.deps.store.getSession('acme', s.session.id), 'the store still has it: the LRU decided');
});

t.test('a session the store no longer has is refused', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  await f.deps.store.deleteSession('acme', s.session.id);
  t.same(await cookieSession.authenticate(withCookie(f, `gk_acme=${s.cookie}`), f.deps), refused);
});

t.test('a session whose user left the users file is refused', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f, { userId: 'u-gone' });
  t.same(await cookieSession.authenticate(withCookie(f, `gk_acme=${s.cookie}`), f.deps), {
    ok: false,
    reason: 'user_no_longer_exists',
  });
});

t.test('runs only once the tenant is resolved', async (t) => {
  const f = await stepFixture(t);
  await t.rejects(cookieSession.authenticate(scopeFor({ headers: { cookie: 'gk_acme=x' } }), f.deps), TypeError);
});
