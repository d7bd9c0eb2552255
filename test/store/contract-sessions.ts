// The SessionsStore contract (sessions.ts): records, the per-user index, the concurrency
// limit and revoke-all. Every implementation passes it on every backend.
import type { Test } from 'tap';
import { hashSecret, newSecret, newSessionId } from '../../src/session/ids.js';
import { isAlive } from '../../src/session/model.js';
import { MAX_SESSIONS_PER_USER, type SessionRecord, type SessionsStore } from '../../src/store/sessions.js';
import { DAY, MIN, sessionFor, suite, unlimited, type MakeStore } from './contract-fixture.js';

export function runSessionsContract(t: Test, name: string, make: MakeStore<SessionsStore>): void {
  const test = suite(t, name, 'sessions', make);
  const ids = (list: SessionRecord[]): string[] => list.map((s) => s.id);

  test('create/get round trip, every field and null kept', async (t, { store, clock }) => {
    const browser = sessionFor(clock);
    const token = sessionFor(clock, {
      kind: 'token',
      clientId: 'web-spa',
      rememberMe: true,
      idleTimeoutMs: null,
      authMethod: 'authorization_code',
    });
    t.same(await store.createSession(browser, unlimited, clock.now()), { ok: true, evicted: [] });
    t.same(await store.createSession(token, unlimited, clock.now()), { ok: true, evicted: [] });
    t.strictSame(await store.getSession('acme', browser.id), browser);
    t.strictSame(await store.getSession('acme', token.id), token);
  });

  test('unknown or malformed ids are null', async (t, { store, clock }) => {
    const s = sessionFor(clock);
    await store.createSession(s, unlimited, clock.now());
    for (const id of [
      newSessionId('acme', 'u1'),
      '',
      'nope',
      'sess_',
      `${s.id}x`,
      s.id.slice(0, -1),
      `${s.id.slice(0, -1)}{`,
    ]) {
      t.equal(await store.getSession('acme', id), null, `getSession(${JSON.stringify(id)})`);
      t.equal(await store.updateSession('acme', id, { lastActiveAt: clock.now() }, clock.now()), false);
      t.equal(await store.deleteSession('acme', id), false);
    }
  });

  test('updateSession changes only the patched fields of a live session', async (t, { store, clock }) => {
    const s = sessionFor(clock);
    await store.createSession(s, unlimited, clock.now());
    clock.advance(5 * MIN);
    const patch = {
      secretHash: hashSecret(newSecret()),
      authTime: clock.now(),
      lastActiveAt: clock.now(),
      ipAddress: '198.51.100.9',
    };
    t.equal(await store.updateSession('acme', s.id, patch, clock.now()), true);
    t.strictSame(await store.getSession('acme', s.id), { ...s, ...patch });
    t.equal(await store.updateSession('acme', newSessionId('acme', 'u1'), patch, clock.now()), false, 'unknown id');
    // Idle-expired: an update must not bring it back.
    clock.advance(31 * MIN);
    t.equal(await store.updateSession('acme', s.id, { lastActiveAt: clock.now() }, clock.now()), false, 'dead session');
    t.same(await store.listUserSessions('acme', 'u1', clock.now()), []);
  });

  test('updateSession judges liveness with the now it is given, not a clock of its own', async (t, {
    store,
    clock,
  }) => {
    const s = sessionFor(clock);
    await store.createSession(s, unlimited, clock.now());
    const idleOver = s.lastActiveAt + 30 * MIN;
    t.equal(await store.updateSession('acme', s.id, { ipAddress: '198.51.100.1' }, idleOver), false, 'dead at now');
    clock.advance(31 * MIN); // the fixture's clock says dead; the caller's now says alive
    t.equal(await store.updateSession('acme', s.id, { lastActiveAt: idleOver - 1 }, idleOver - 1), true);
    t.equal((await store.getSession('acme', s.id))?.lastActiveAt, idleOver - 1);
  });

  test('deleteSession', async (t, { store, clock }) => {
    const a = sessionFor(clock);
    const b = sessionFor(clock);
    await store.createSession(a, unlimited, clock.now());
    await store.createSession(b, unlimited, clock.now());
    t.equal(await store.deleteSession('acme', a.id), true);
    t.equal(await store.deleteSession('acme', a.id), false, 'second delete');
    t.equal(await store.getSession('acme', a.id), null);
    t.equal(await store.updateSession('acme', a.id, { lastActiveAt: clock.now() }, clock.now()), false);
    t.same(ids(await store.listUserSessions('acme', 'u1', clock.now())), [b.id]);
  });

  test('list: most recently active first, dead sessions left out and not counted', async (t, { store, clock }) => {
    const now = clock.now();
    const at = (minutesAgo: number): number => now - minutesAgo * MIN;
    const shortLived = sessionFor(clock, { lastActiveAt: at(1), expiresAt: now + 10 * MIN });
    const b = sessionFor(clock, { lastActiveAt: at(5) });
    const c = sessionFor(clock, { lastActiveAt: at(10) });
    const a = sessionFor(clock, { lastActiveAt: at(20) });
    const remember = sessionFor(clock, {
      lastActiveAt: at(25),
      rememberMe: true,
      idleTimeoutMs: null,
      expiresAt: now + 30 * DAY,
    });
    for (const s of [a, remember, c, shortLived, b]) await store.createSession(s, unlimited, now);
    await store.createSession(sessionFor(clock, { userId: 'u2' }), unlimited, now);
    t.same(ids(await store.listUserSessions('acme', 'u1', now)), [shortLived.id, b.id, c.id, a.id, remember.id]);

    clock.advance(11 * MIN); // shortLived past its absolute expiry, a past its idle timeout
    t.same(ids(await store.listUserSessions('acme', 'u1', clock.now())), [b.id, c.id, remember.id]);
    const gone = await store.getSession('acme', a.id);
    t.ok(gone === null || !isAlive(gone, clock.now()), 'a dead session is never returned as alive');

    clock.advance(30 * MIN); // b and c idle too; remember-me has no idle timeout
    const left = await store.listUserSessions('acme', 'u1', clock.now());
    t.same(ids(left), [remember.id]);
    const r = await store.getSession('acme', remember.id);
    t.ok(r && isAlive(r, clock.now()), 'remember-me survives past the idle time');

    const limit = { max: 2, policy: 'reject' } as const;
    t.same(
      await store.createSession(sessionFor(clock), limit, clock.now()),
      { ok: true, evicted: [] },
      'dead ones do not count',
    );
    t.same(await store.createSession(sessionFor(clock), limit, clock.now()), { ok: false, reason: 'limit' });
    t.equal((await store.listUserSessions('acme', 'u2', clock.now())).length, 0, 'u2 idled out too');
  });

  test('limit evict-oldest: the least recently active goes', async (t, { store, clock }) => {
    const limit = { max: 2, policy: 'evict-oldest' } as const;
    const s1 = sessionFor(clock, { lastActiveAt: clock.now() - 2 * MIN });
    const s2 = sessionFor(clock, { lastActiveAt: clock.now() - MIN });
    t.same(await store.createSession(s1, limit, clock.now()), { ok: true, evicted: [] });
    t.same(await store.createSession(s2, limit, clock.now()), { ok: true, evicted: [] });
    clock.advance(MIN);
    t.ok(
      await store.updateSession('acme', s1.id, { lastActiveAt: clock.now() }, clock.now()),
      's1 becomes the most recent',
    );
    const s3 = sessionFor(clock);
    t.same(await store.createSession(s3, limit, clock.now()), { ok: true, evicted: [s2.id] });
    t.equal(await store.getSession('acme', s2.id), null);
    t.same(ids(await store.listUserSessions('acme', 'u1', clock.now())).sort(), [s1.id, s3.id].sort());
  });

  test('limit reject: the new session is refused and not saved', async (t, { store, clock }) => {
    const limit = { max: 2, policy: 'reject' } as const;
    const [s1, s2, s3] = [sessionFor(clock), sessionFor(clock), sessionFor(clock)] as const;
    t.same(await store.createSession(s1, limit, clock.now()), { ok: true, evicted: [] });
    t.same(await store.createSession(s2, limit, clock.now()), { ok: true, evicted: [] });
    t.same(await store.createSession(s3, limit, clock.now()), { ok: false, reason: 'limit' });
    t.equal(await store.getSession('acme', s3.id), null);
    t.equal((await store.listUserSessions('acme', 'u1', clock.now())).length, 2);
    for (let i = 0; i < 5; i++) await store.createSession(sessionFor(clock, { userId: 'u9' }), unlimited, clock.now());
    t.equal((await store.listUserSessions('acme', 'u9', clock.now())).length, 5, 'max 0 = unlimited');
  });

  for (const policy of ['evict-oldest', 'reject'] as const) {
    test(`20 parallel logins never exceed the limit (${policy})`, async (t, { store, clock }) => {
      const limit = { max: 3, policy };
      const sessions = Array.from({ length: 20 }, (_, i) => sessionFor(clock, { lastActiveAt: clock.now() - i }));
      const results = await Promise.all(sessions.map((s) => store.createSession(s, limit, clock.now())));
      const alive = await store.listUserSessions('acme', 'u1', clock.now());
      t.equal(alive.length, 3);
      const okCount = results.filter((r) => r.ok).length;
      const evicted = results.flatMap((r) => (r.ok ? r.evicted : []));
      if (policy === 'reject') {
        t.equal(okCount, 3);
        t.equal(evicted.length, 0);
      } else {
        t.equal(okCount, 20);
        t.equal(new Set(evicted).size, 17, 'each eviction reported once');
        t.notOk(
          alive.some((s) => evicted.includes(s.id)),
          'no evicted session is alive',
        );
      }
    });
  }

  test('deleteUserSessions with and without exceptId', async (t, { store, clock }) => {
    const [s1, s2, s3] = [sessionFor(clock), sessionFor(clock), sessionFor(clock)] as const;
    for (const s of [s1, s2, s3]) await store.createSession(s, unlimited, clock.now());
    const other = sessionFor(clock, { userId: 'u2' });
    await store.createSession(other, unlimited, clock.now());
    const byId = (list: SessionRecord[]): SessionRecord[] => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
    t.strictSame(
      byId(await store.deleteUserSessions('acme', 'u1', s2.id)),
      byId([s1, s3]),
      'the removed records, every field',
    );
    t.same(ids(await store.listUserSessions('acme', 'u1', clock.now())), [s2.id]);
    t.strictSame(await store.deleteUserSessions('acme', 'u1'), [s2]);
    t.same(await store.listUserSessions('acme', 'u1', clock.now()), []);
    t.equal(await store.getSession('acme', s2.id), null);
    t.same(await store.deleteUserSessions('acme', 'u1'), [], 'nothing left');
    t.ok(await store.getSession('acme', other.id), 'another user is untouched');
  });

  test('deleteUserSessions reports a session that is dead but not yet dropped, with its times', async (t, {
    store,
    clock,
  }) => {
    // The caller counts only the ones alive at its own clock, yet announces all of them.
    const idle = sessionFor(clock);
    const remember = sessionFor(clock, { rememberMe: true, idleTimeoutMs: null });
    for (const s of [idle, remember]) await store.createSession(s, unlimited, clock.now());
    clock.advance(31 * MIN);
    const removed = await store.deleteUserSessions('acme', 'u1');
    t.same(ids(removed).sort(), [idle.id, remember.id].sort());
    t.same(
      removed.filter((s) => isAlive(s, clock.now())).map((s) => s.id),
      [remember.id],
      'aliveness is decided from the returned record',
    );
  });

  test('tenants are isolated', async (t, { store, clock }) => {
    const acme = sessionFor(clock, { tenant: 'acme', userId: 'alice' });
    const globex = sessionFor(clock, { tenant: 'globex', userId: 'alice' });
    const one = { max: 1, policy: 'evict-oldest' } as const;
    await store.createSession(acme, one, clock.now());
    t.same(await store.createSession(globex, one, clock.now()), { ok: true, evicted: [] }, 'limits are per tenant');
    t.same(ids(await store.listUserSessions('acme', 'alice', clock.now())), [acme.id]);
    t.same(ids(await store.listUserSessions('globex', 'alice', clock.now())), [globex.id]);
    t.equal(await store.getSession('globex', acme.id), null);
    t.equal(await store.updateSession('globex', acme.id, { ipAddress: '192.0.2.1' }, clock.now()), false);
    t.equal(await store.deleteSession('globex', acme.id), false);
    t.same(ids(await store.deleteUserSessions('acme', 'alice')), [acme.id]);
    t.strictSame(await store.getSession('globex', globex.id), globex);
  });

  test('returned records are copies, not live references', async (t, { store, clock }) => {
    const s = sessionFor(clock);
    const original = { ...s };
    await store.createSession(s, unlimited, clock.now());
    s.userId = 'mallory';
    const got = await store.getSession('acme', s.id);
    t.ok(got);
    if (got) got.expiresAt += DAY;
    const [listed] = await store.listUserSessions('acme', 'u1', clock.now());
    t.ok(listed);
    if (listed) listed.secretHash = 'x';
    t.strictSame(await store.getSession('acme', s.id), original);
  });

  test('a session id must carry its user tag', async (t, { store, clock }) => {
    const s = sessionFor(clock, { id: newSessionId('acme', 'someone-else') });
    await t.rejects(store.createSession(s, unlimited, clock.now()), TypeError);
    await t.rejects(store.createSession(sessionFor(clock, { id: 'sess_nope' }), unlimited, clock.now()), TypeError);
  });

  test('listUserSessionsPage walks every live session once, most recently active first', async (t, {
    store,
    clock,
  }) => {
    // 23 sessions, some sharing an activity time (ties go by id, descending), 2 dead.
    const made = Array.from({ length: 23 }, (_, i) => sessionFor(clock, { lastActiveAt: clock.now() - (i % 7) * MIN }));
    for (const s of made) await store.createSession(s, unlimited, clock.now());
    const dead = sessionFor(clock, { lastActiveAt: clock.now() - 40 * MIN });
    await store.createSession(dead, unlimited, clock.now());
    await store.createSession(sessionFor(clock, { userId: 'u2' }), unlimited, clock.now());
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await store.listUserSessionsPage('acme', 'u1', clock.now(), { limit: 5, cursor });
      t.ok(page.sessions.length <= 5);
      seen.push(...ids(page.sessions));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 20);
    const expected = [...made]
      .sort((a, b) => b.lastActiveAt - a.lastActiveAt || (a.id < b.id ? 1 : -1))
      .map((s) => s.id);
    t.same(seen, expected, 'every live session once, in order; the dead one and u2 left out');
    t.same(await store.listUserSessionsPage('acme', 'nobody', clock.now(), { limit: 5 }), {
      sessions: [],
      nextCursor: null,
    });
    await t.rejects(store.listUserSessionsPage('acme', 'u1', clock.now(), { limit: 5, cursor: 'bogus' }), TypeError);
  });

  test('a page continues after its cursor even when that session moved or left', async (t, { store, clock }) => {
    const made = Array.from({ length: 6 }, (_, i) => sessionFor(clock, { lastActiveAt: clock.now() - i * MIN }));
    for (const s of made) await store.createSession(s, unlimited, clock.now());
    const first = await store.listUserSessionsPage('acme', 'u1', clock.now(), { limit: 3 });
    t.same(ids(first.sessions), ids(made.slice(0, 3)));
    // The cursor's session becomes the most recently active; the next page is still the rest.
    await store.updateSession('acme', made[2]!.id, { lastActiveAt: clock.now() + 1 }, clock.now());
    const second = await store.listUserSessionsPage('acme', 'u1', clock.now(), { limit: 3, cursor: first.nextCursor });
    t.same(ids(second.sessions), ids(made.slice(3)));
    t.equal(second.nextCursor, null);
  });

  test(`the per-user cap (${MAX_SESSIONS_PER_USER}) evicts the least recently active, also when unlimited`, async (t, {
    store,
    clock,
  }) => {
    const oldest = sessionFor(clock, { lastActiveAt: clock.now() - 2 * MIN });
    const token = sessionFor(clock, { kind: 'token', clientId: 'c', lastActiveAt: clock.now() - MIN });
    await store.createSession(oldest, unlimited, clock.now());
    await store.createSession(token, unlimited, clock.now());
    for (let i = 2; i < MAX_SESSIONS_PER_USER; i += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, MAX_SESSIONS_PER_USER - i) }, () =>
          store.createSession(sessionFor(clock), unlimited, clock.now()),
        ),
      );
    t.equal(await store.getSession('acme', oldest.id).then(Boolean), true, 'at the cap: all kept');
    const next = await store.createSession(sessionFor(clock), unlimited, clock.now());
    t.same(next, { ok: true, evicted: [oldest.id] }, 'one more: the least recently active goes, announced');
    t.equal(await store.getSession('acme', oldest.id), null);
    const again = await store.createSession(sessionFor(clock), unlimited, clock.now());
    t.same(again, { ok: true, evicted: [token.id] }, 'of any kind');
    t.equal((await store.listUserSessions('acme', 'u1', clock.now())).length, MAX_SESSIONS_PER_USER);
  });

  test('revoke-all takes effect before its records go; a session created after it is left alone', async (t, {
    store,
    clock,
  }) => {
    const old = Array.from({ length: 150 }, () => sessionFor(clock));
    for (const s of old) await store.createSession(s, unlimited, clock.now());
    const kept = old[7]!;
    let after: SessionRecord | null = null;
    const removed = await store.deleteUserSessions('acme', 'u1', kept.id, {
      onMarked: async () => {
        // Announced here: every old session is already refused, whatever is still stored.
        for (const s of [old[0]!, old[149]!]) {
          t.equal(await store.getSession('acme', s.id), null, 'refused at once');
          t.equal(await store.updateSession('acme', s.id, { lastActiveAt: clock.now() }, clock.now()), false);
        }
        t.ok(await store.getSession('acme', kept.id), 'the spared one lives');
        after = sessionFor(clock);
        t.same(await store.createSession(after, unlimited, clock.now()), { ok: true, evicted: [] });
      },
    });
    t.equal(removed.length, 149, 'every other old session removed and reported');
    t.notOk(ids(removed).includes(after!.id));
    t.same(ids(await store.listUserSessions('acme', 'u1', clock.now())).sort(), [kept.id, after!.id].sort());
    // The next revoke-all does not spare the one the previous spared.
    t.same(ids(await store.deleteUserSessions('acme', 'u1')).sort(), [kept.id, after!.id].sort());
    t.same(await store.listUserSessions('acme', 'u1', clock.now()), []);
    const fresh = sessionFor(clock);
    await store.createSession(fresh, unlimited, clock.now());
    t.ok(await store.getSession('acme', fresh.id), 'a login after a revoke-all works');
  });
}
