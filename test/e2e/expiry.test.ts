// Idle and absolute expiry, remember-me, and throttled activity writes — driven by the
// injected clock, never by waiting.
import t from 'tap';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { parseSetCookie } from '../helpers/set-cookie.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';

const H = 'dashboard.acme.test';
const MIN = 60_000;
const HOUR = 60 * MIN;

t.test('expiry', async (t) => {
  const g = await startTestGateway({ settings: 'sessionLifetime: 2h\nrememberMe: { enabled: true, duration: 7d }' });
  t.teardown(g.stop);
  const get = (cookie: string) => request(g.url, '/x', { headers: { host: H, cookie, accept: 'application/json' } });

  await t.test('idle timeout ends a quiet session; activity keeps it alive', async (t) => {
    const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
    for (let i = 0; i < 4; i++) {
      g.clock.advance(20 * MIN); // each gap is under the 30 m idle timeout
      t.equal((await get(jar.header())).status, 200, `active after ${(i + 1) * 20} min`);
    }
    g.clock.advance(31 * MIN);
    const res = await get(jar.header());
    t.equal(res.status, 401, 'idle for 31 min: expired');
    t.ok(
      g.logs.some((l) => l.includes('"audit":"session_expired"') && l.includes('"reason":"idle"')),
      'audited as idle expiry',
    );
  });

  await t.test('absolute lifetime ends even an active session', async (t) => {
    const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
    for (let elapsed = 0; elapsed < 2 * HOUR - 20 * MIN; elapsed += 20 * MIN) {
      g.clock.advance(20 * MIN);
      t.equal((await get(jar.header())).status, 200);
    }
    g.clock.advance(20 * MIN);
    t.equal((await get(jar.header())).status, 401, 'past sessionLifetime (2h)');
  });

  await t.test('remember-me: Max-Age, no idle timeout, its own absolute lifetime', async (t) => {
    const { jar, res } = await login(g.url, { username: 'bob', password: PASSWORDS.bob, rememberMe: true });
    const c = res.setCookies.map(parseSetCookie).find((x) => x.name === 'gk_acme');
    t.equal(c?.maxAge, 7 * 24 * 3600, 'Max-Age = rememberMe.duration');
    g.clock.advance(3 * 24 * HOUR);
    t.equal((await get(jar.header())).status, 200, 'three quiet days later: still signed in');
    const s = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: jar.header() } });
    t.equal(s.json<{ session: { rememberMe: boolean; idleExpiresAt: unknown } }>().session.rememberMe, true);
    t.equal(s.json<{ session: { idleExpiresAt: unknown } }>().session.idleExpiresAt, null);
    g.clock.advance(4 * 24 * HOUR);
    t.equal((await get(jar.header())).status, 401, 'after 7 days: expired');
  });

  await t.test('activity writes are throttled', async (t) => {
    const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
    const sid = jar.get('gk_acme')!.split('.')[0]!;
    const created = (await g.gw.deps.store.getSession('acme', sid))!.lastActiveAt;
    g.clock.advance(30_000);
    await get(jar.header());
    t.equal((await g.gw.deps.store.getSession('acme', sid))!.lastActiveAt, created, 'not written within 60 s');
    g.clock.advance(31_000);
    await get(jar.header());
    // The write is not awaited by the request; the next store read is ordered after it.
    t.equal((await g.gw.deps.store.getSession('acme', sid))!.lastActiveAt, g.clock.now(), 'written after 60 s');
  });
});

t.test('https publicUrl: __Host- cookie with Secure; shared domain uses __Secure-', async (t) => {
  const g = await startTestGateway({ publicUrl: 'https://gw.acme.test' });
  t.teardown(g.stop);
  const { res } = await login(g.url, {
    username: 'bob',
    password: PASSWORDS.bob,
    headers: { origin: 'https://dashboard.acme.test' },
  });
  const c = res.setCookies.map(parseSetCookie).find((x) => x.name.endsWith('gk_acme'));
  t.equal(c?.name, '__Host-gk_acme');
  t.equal(c?.attributes.get('secure'), true);
  t.equal(c?.attributes.get('path'), '/');
  t.notOk(c?.attributes.has('domain'), '__Host- never carries Domain');

  const g2 = await startTestGateway({
    publicUrl: 'https://gw.acme.test',
    settings: 'cookie: { sameSite: strict, domain: acme.test }',
  });
  t.teardown(g2.stop);
  const r2 = await login(g2.url, { username: 'bob', password: PASSWORDS.bob });
  const c2 = r2.res.setCookies.map(parseSetCookie).find((x) => x.name.endsWith('gk_acme'));
  t.equal(c2?.name, '__Secure-gk_acme');
  t.equal(c2?.attributes.get('domain'), 'acme.test');
  t.equal(c2?.attributes.get('samesite'), 'Strict');
  t.equal(c2?.attributes.get('secure'), true);
});
