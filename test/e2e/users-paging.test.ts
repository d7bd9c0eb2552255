// GET /api/v1/users pages by cursor (issue 16): sorted by username, default 50, at most 500,
// `nextCursor` until the last page, every user exactly once; `q` a case-insensitive prefix of
// username, email or a name word; active sessions counted for the page's users; a bad limit
// or cursor is a 400 (never silently the first page); the old answer's shape is kept. The
// portal's users page pages by the same cursor. A gateway with 1,234 users from a file.
import t from 'tap';
import { loadConfigFile } from '../../src/config/load.js';
import { startGateway } from '../../src/server.js';
import { hashPassword } from '../../src/session/password.js';
import { createLogger } from '../../src/util/log.js';
import { testKeys } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startUpstream } from '../helpers/upstream.js';
import { generatedUser, usersYaml, writeDirectoryConfig } from '../helpers/users-file.js';
import { Writable } from 'node:stream';

const N = 1234;
const HOST = 'app.dir.test';

interface Row {
  id: string;
  username: string;
  email: string;
  name: string;
  roles: string[];
  activeSessions: number;
}
interface UsersPage {
  users: Row[];
  nextCursor: string | null;
}

t.test('users paging over HTTP', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const hash = await hashPassword('pw-for-everyone', { ln: 10 });
  const file = writeDirectoryConfig(t.testdir({}), upstream.url, usersYaml(N, hash, { admin: 'root' }));
  const log = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const gw = await startGateway(loadConfigFile(file), { log, keys: await testKeys() });
  t.teardown(() => gw.stop());
  const signIn = async (username: string) =>
    (await login(gw.url, { host: HOST, slug: 'd', username, password: 'pw-for-everyone' })).jar;
  const admin = await signIn('root');
  const grace = generatedUser(7); // grace.lovelace7
  await signIn(grace.username);
  await signIn(grace.username);
  const get = (q: string, jar = admin) =>
    request(gw.url, `/t/d/api/v1/users${q}`, {
      headers: { host: HOST, cookie: jar.header(), accept: 'application/json' },
    });

  await t.test('walking the pages lists every user exactly once, sorted by username', async (t) => {
    for (const limit of [undefined, 500, 97]) {
      const seen: Row[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const qs = new URLSearchParams();
        if (limit) qs.set('limit', String(limit));
        if (cursor) qs.set('cursor', cursor);
        const res = await get(`?${qs}`);
        t.equal(res.status, 200);
        const page = res.json<UsersPage>();
        t.ok(page.users.length <= (limit ?? 50));
        seen.push(...page.users);
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      t.equal(seen.length, N + 1, `limit ${limit ?? 'default'}: every user`);
      t.equal(new Set(seen.map((u) => u.id)).size, N + 1, 'each once');
      const names = seen.map((u) => u.username.toLowerCase());
      t.same(names, [...names].sort(), 'by username');
      t.equal(pages, Math.ceil((N + 1) / (limit ?? 50)), 'pages of the limit (default 50)');
    }
  });

  await t.test('the answer keeps the old shape; sessions counted for the page', async (t) => {
    const page = (await get(`?q=${grace.email}`)).json<UsersPage>();
    t.same(Object.keys(page).sort(), ['nextCursor', 'users']);
    t.same(page.users, [
      {
        id: grace.id,
        username: grace.username,
        email: grace.email,
        name: grace.name,
        roles: ['ops'],
        activeSessions: 2,
      },
    ]);
    t.equal(page.nextCursor, null);
  });

  await t.test('q: prefix of username, email or a name word; case-insensitive; paged', async (t) => {
    const all = async (q: string) => {
      const out: Row[] = [];
      let cursor = '';
      for (let i = 0; i < 100; i++) {
        const page = (
          await get(`?q=${encodeURIComponent(q)}&limit=40${cursor && `&cursor=${cursor}`}`)
        ).json<UsersPage>();
        out.push(...page.users);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      return out;
    };
    const expected = (pred: (i: number) => boolean) =>
      Array.from({ length: N }, (_, i) => i)
        .filter(pred)
        .map((i) => generatedUser(i).id)
        .sort();
    const hopper = await all('HOPPER');
    t.same(
      hopper.map((u) => u.id).sort(),
      expected((i) => generatedUser(i).name.includes('Hopper')),
      'name word',
    );
    t.ok(hopper.length > 40, 'over several pages');
    t.same(
      (await all('grace.lovelace1')).map((u) => u.id).sort(),
      expected((i) => generatedUser(i).username.startsWith('grace.lovelace1')),
    );
    t.same(
      (await all(generatedUser(17).email.toUpperCase().slice(0, -4))).map((u) => u.id),
      [generatedUser(17).id],
      'email prefix',
    );
    t.same(await all('opper'), [], 'not inside a word');
  });

  await t.test('bad limit or cursor: 400', async (t) => {
    for (const q of [
      '?limit=0',
      '?limit=501',
      '?limit=abc',
      '?limit=-1',
      '?limit=1.5',
      '?limit=',
      '?cursor=%%%',
      '?cursor=bm90LW91cnM',
      '?cursor=' + 'A'.repeat(3000),
    ])
      t.equal((await get(q)).status, 400, `${q.slice(0, 40)} → 400`);
    t.equal((await get('?limit=500')).json<UsersPage>().users.length, 500, '500 is allowed');
    t.equal((await get('?limit=1')).json<UsersPage>().users.length, 1);
  });

  await t.test('admins only', async (t) => {
    t.equal((await get('', await signIn(generatedUser(3).username))).status, 403);
  });

  await t.test('the portal pages by cursor, with search', async (t) => {
    const page = (path: string) =>
      request(gw.url, path, { headers: { host: HOST, cookie: admin.header(), accept: 'text/html' } });
    const first = await page('/t/d/portal/access-management/users');
    t.match(first.body, /Showing 1–20 of 1,?235 users/);
    const next = /href="([^"]*cursor=[^"]+)"[^>]*>Next/.exec(first.body.replace(/&amp;/g, '&'))?.[1];
    t.ok(next, 'a Next link with a cursor');
    const second = await page(next!);
    t.match(second.body, /Showing 21–40 of 1,?235 users/);
    t.match(second.body, /First page/);
    const search = await page(`/t/d/portal/access-management/users?q=${grace.email}`);
    t.match(search.body, /Showing 1–1 of 1 user matching/);
    t.equal(
      (await page('/t/d/portal/access-management/users?cursor=garbage!')).status,
      200,
      'a stale link: first page',
    );
  });
});
