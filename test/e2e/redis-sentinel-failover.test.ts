// The gateway on Redis Sentinel (a master, one replica, a sentinel) with
// store.durability: replicated, under a small steady load, when the master is killed with
// SIGKILL and the sentinel promotes the replica. What must hold, request by request:
// during the window only 503s (never a login page, never a 401 for a live session); no
// request reaches the app without a valid session (a revoked cookie is never forwarded);
// afterwards every live session works and every session revoked before the failover is
// still refused. The window's length is reported.
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { CookieJar, request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { sentinelCfg, topology } from '../helpers/sentinel-topology.js';

const H = 'dashboard.acme.test';
/** Bounds the test: the failover itself takes 1-2 s here. */
const RECOVERY_DEADLINE_MS = 20_000;

t.test('Sentinel failover under load: only 503s in the window, revocations hold', { timeout: 60_000 }, async (t) => {
  const { master, sentinel } = await topology(t);
  const cfg = sentinelCfg(sentinel);
  if (!('sentinels' in cfg)) throw new TypeError('sentinel config expected');
  const sentinels = cfg.sentinels.map((s) => `{ host: ${s.host}, port: ${s.port} }`).join(', ');
  const g = await startTestGateway({
    storeYaml: `store:\n  redis: { sentinels: [${sentinels}], name: ${cfg.name} }\n  durability: replicated\n  keyPrefix: "gk:"`,
  });
  t.teardown(g.stop);

  const get = (jar: CookieJar) =>
    request(g.url, '/work', { headers: { host: H, cookie: jar.header(), accept: 'application/json' } });
  const sessionOf = async (jar: CookieJar): Promise<string> => {
    const res = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: jar.header() } });
    return res.json<{ session: { id: string } }>().session.id;
  };

  // Six sessions; three revoked (logout and an admin's revoke) before the failover.
  const live: CookieJar[] = [];
  const revoked: { jar: CookieJar; id: string }[] = [];
  for (let i = 0; i < 6; i++) {
    const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
    t.equal((await get(jar)).status, 200);
    if (i % 2 === 0) live.push(jar);
    else revoked.push({ jar, id: await sessionOf(jar) });
  }
  const { jar: admin } = await login(g.url, { username: 'alice', password: PASSWORDS.alice });
  const csrf = (await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: admin.header() } })).json<{
    csrfToken: string;
  }>().csrfToken;
  for (const r of revoked) {
    const res = await request(g.url, `/t/acme/api/v1/users/u-bob/sessions/${r.id}`, {
      method: 'DELETE',
      headers: { host: H, cookie: admin.header(), 'x-csrf-token': csrf, origin: `http://${H}` },
    });
    t.equal(res.status, 204, 'revoked (confirmed by a replica)');
  }
  for (const r of revoked) t.equal((await get(r.jar)).status, 401, 'refused before the failover');
  const forwardedBefore = g.upstream.seen.length;

  // Steady load: every live and revoked cookie in turn, until the store has served again
  // for a while after the kill. Every answer is recorded.
  const statuses = { live: new Map<number, number>(), revoked: new Map<number, number>() };
  const count = (m: Map<number, number>, s: number) => m.set(s, (m.get(s) ?? 0) + 1);
  let killedAt = 0;
  let firstFailure = -1;
  let lastFailure = -1;
  let servedAgainAt = -1;
  const deadline = performance.now() + RECOVERY_DEADLINE_MS;
  let round = 0;
  while (performance.now() < deadline) {
    if (round === 5) {
      killedAt = performance.now();
      await master.kill();
    }
    let roundFailed = false;
    for (const jar of live) {
      const res = await get(jar);
      count(statuses.live, res.status);
      if (res.status !== 200 && killedAt > 0) {
        const at = performance.now() - killedAt;
        if (firstFailure < 0) firstFailure = at;
        lastFailure = at;
        roundFailed = true;
      }
    }
    for (const r of revoked) count(statuses.revoked, (await get(r.jar)).status);
    round++;
    const since = killedAt > 0 ? performance.now() - killedAt : -1;
    // Served again: a whole round of 200s after the failures began.
    if (firstFailure >= 0 && !roundFailed && servedAgainAt < 0) servedAgainAt = since;
    // A few more rounds after that (or 3 s of no failure at all: the window fell between requests).
    if (servedAgainAt > 0 && since > servedAgainAt + 500) break;
    if (firstFailure < 0 && since > 3000) {
      servedAgainAt = since;
      break;
    }
    await delay(20);
  }
  t.ok(killedAt > 0 && servedAgainAt > 0, 'the store served again after the failover');
  t.same(
    [...statuses.live.keys()].filter((s) => s !== 200 && s !== 503),
    [],
    `live sessions: only 200 or 503 (${JSON.stringify([...statuses.live])})`,
  );
  t.same(
    [...statuses.revoked.keys()].filter((s) => s !== 401 && s !== 503),
    [],
    `revoked sessions: only 401 or 503, never let through (${JSON.stringify([...statuses.revoked])})`,
  );
  const forwarded = g.upstream.seen.slice(forwardedBefore);
  const revokedIds = new Set(revoked.map((r) => r.id));
  t.same(
    forwarded.filter((r) => revokedIds.has(String(r.headers['x-auth-session']))),
    [],
    'the app never saw a revoked session',
  );
  t.ok(
    forwarded.every((r) => typeof r.headers['x-auth-session'] === 'string'),
    'nothing reached the app without a session',
  );

  // Afterwards: every live session works, every revoked one is still refused.
  for (const jar of live) t.equal((await get(jar)).status, 200, 'alive after the failover');
  for (const r of revoked) t.equal((await get(r.jar)).status, 401, 'still refused after the failover');
  t.comment(
    firstFailure < 0
      ? `no request failed: the failover fell between requests (answered again ${servedAgainAt.toFixed(0)} ms after the kill)`
      : `503 window: first ${firstFailure.toFixed(0)} ms, last ${lastFailure.toFixed(0)} ms after the kill`,
  );
});
