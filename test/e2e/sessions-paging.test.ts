// Paging a user's sessions over real HTTP on a Redis store (issue 16 item 1): bob has 130
// sessions (one from a real login, the rest written with the store's createSession, some
// sharing a last-activity time). Walking the admin API (GET /api/v1/users/u-bob/sessions),
// the self-service API (GET /api/v1/me/sessions), the admin's user page and My sessions by
// their cursors lists every session exactly once, most recently active first; a limit or
// cursor the gateway did not give is a 400 on the APIs; the pages show the first page instead.
import t from 'tap';
import { CookieJar, request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startRedis } from '../helpers/redis.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';
import { sessionFor } from '../store/contract-fixture.js';

const H = 'dashboard.acme.test';
const USER_PAGE = '/t/acme/portal/access-management/users/u-bob';
const ACCOUNT = '/t/acme/account/sessions';
const ADMIN_API = '/t/acme/api/v1/users/u-bob/sessions';
const ME_API = '/t/acme/api/v1/me/sessions';
const EXTRA = 129;

const redis = await startRedis();
t.teardown(() => redis.stop());
const g = await startTestGateway({ storeYaml: `store:\n  redis: ${redis.url}/0` });
t.teardown(g.stop);

async function signedIn(user: 'alice' | 'bob'): Promise<CookieJar> {
  const { jar } = await login(g.url, { username: user, password: PASSWORDS[user] });
  if (!jar.get('gk_acme')) throw new Error(`login as ${user} failed`);
  return jar;
}
const get = (path: string, jar: CookieJar, accept: string) =>
  request(g.url, path, { headers: { host: H, accept, cookie: jar.header() } });

const alice = await signedIn('alice');
const bob = await signedIn('bob');
// 129 more, last active 1 ms apart in threes (ties: the order falls back to the session id).
const now = g.clock.now();
for (let i = 0; i < EXTRA; i++) {
  const s = sessionFor(g.clock, { userId: 'u-bob', lastActiveAt: now - 1 - Math.floor(i / 3) });
  await g.gw.deps.store.createSession(s, { max: 0, policy: 'evict-oldest' }, now);
}
const expected = (await g.gw.deps.store.listUserSessions('acme', 'u-bob', now)).map((s) => s.id).sort();

interface Listed {
  id: string;
  lastActiveAt: string;
}

/** Follows nextCursor from `path` until null: every page's sessions in order, and how many pages. */
async function walkApi(path: string, jar: CookieJar, limit: number): Promise<{ listed: Listed[]; pages: number }> {
  const listed: Listed[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    const res = await get(`${path}?${q}`, jar, 'application/json');
    if (res.status !== 200) throw new Error(`GET ${path}?${q}: ${res.status} ${res.body}`);
    const body = res.json<{ sessions: Listed[]; nextCursor: string | null }>();
    if (body.sessions.length > limit) throw new Error(`a page of ${body.sessions.length} > ${limit}`);
    listed.push(...body.sessions);
    cursor = body.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { listed, pages };
}

/** Follows the pages' Next links from `path`: the session ids of every page's table, and the pages. */
async function walkPages(path: string, jar: CookieJar): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let next: string | null = path;
  let pages = 0;
  while (next && pages < 100) {
    const res = await get(next, jar, 'text/html');
    if (res.status !== 200) throw new Error(`GET ${next}: ${res.status}`);
    ids.push(...[...res.body.matchAll(/<tr data-session-id="([^"]+)"/g)].map((m) => m[1]!));
    next = /<a [^>]*rel="next" href="([^"]+)"/.exec(res.body)?.[1]?.replaceAll('&amp;', '&') ?? null;
    pages++;
  }
  return { ids, pages };
}

const once = (ids: readonly string[]): boolean => new Set(ids).size === ids.length;

t.test('the store holds every session: 130 of bob', async (t) => {
  t.equal(expected.length, EXTRA + 1);
});

for (const [name, path, jar] of [
  ['admin API', ADMIN_API, alice],
  ['self-service API', ME_API, bob],
] as const) {
  t.test(`${name}: every session once, most recently active first`, async (t) => {
    for (const limit of [50, 7, 500]) {
      const { listed, pages } = await walkApi(path, jar, limit);
      const ids = listed.map((s) => s.id);
      t.ok(once(ids), `limit ${limit}: no session twice`);
      t.same([...ids].sort(), expected, `limit ${limit}: every session, in ${pages} pages`);
      t.equal(pages, Math.ceil((EXTRA + 1) / limit), `limit ${limit}: ${pages} pages`);
      const times = listed.map((s) => Date.parse(s.lastActiveAt));
      t.ok(
        times.every((x, i) => i === 0 || x <= times[i - 1]!),
        `limit ${limit}: most recently active first`,
      );
    }
  });

  t.test(`${name}: a limit or cursor the gateway did not give is a 400`, async (t) => {
    const tamperedCursor = Buffer.from('not a cursor').toString('base64url');
    for (const q of ['limit=0', 'limit=501', 'limit=ten', 'cursor=%21%21', `cursor=${tamperedCursor}`]) {
      const res = await get(`${path}?${q}`, jar, 'application/json');
      t.equal(res.status, 400, q);
      hasCode(t, res, 'ERR_GK_BAD_REQUEST', q);
    }
  });
}

for (const [name, path, jar] of [
  ['admin’s user page', USER_PAGE, alice],
  ['My sessions', ACCOUNT, bob],
] as const) {
  t.test(`${name}: 50 a page, Next walks every session once`, async (t) => {
    const { ids, pages } = await walkPages(path, jar);
    t.equal(pages, 3, '130 sessions: 3 pages of at most 50');
    t.ok(once(ids), 'no session twice');
    t.same([...ids].sort(), expected, 'every session');
    const first = await get(path, jar, 'text/html');
    t.equal([...first.body.matchAll(/<tr data-session-id=/g)].length, 50, 'the first page shows 50');
    t.notMatch(first.body, /rel="first"/, 'no First page link on the first page');
    const second = await get(
      /<a [^>]*rel="next" href="([^"]+)"/.exec(first.body)![1]!.replaceAll('&amp;', '&'),
      jar,
      'text/html',
    );
    t.match(second.body, new RegExp(`rel="first" href="${path}"`), 'a later page links back to the first');
  });

  t.test(`${name}: a broken cursor shows the first page`, async (t) => {
    const res = await get(`${path}?cursor=%21%21`, jar, 'text/html');
    t.equal(res.status, 200);
    t.equal([...res.body.matchAll(/<tr data-session-id=/g)].length, 50);
  });
}
