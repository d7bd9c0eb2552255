// The sorted user index: paging by key walks every user exactly once in username order,
// prefix search on username / email / name words, cursors that outlive the list they came
// from, and the worker's order (indexOrder) being the one build() uses.
import t, { type Test } from 'tap';
import type { UserRecord } from '../../src/config/types.js';
import { indexOrder, sortKey, UserIndex } from '../../src/directory/user-index.js';
import { generatedUser } from '../helpers/users-file.js';

const user = (i: number, prefix = ''): UserRecord => ({
  ...generatedUser(i, prefix),
  roles: [],
  passwordHash: 'x',
});
const list = (n: number, prefix = ''): UserRecord[] => Array.from({ length: n }, (_, i) => user(i, prefix));

function walk(t: Test, ix: UserIndex, limit: number, q = ''): UserRecord[] {
  const out: UserRecord[] = [];
  let after = '';
  for (let guard = 0; guard < 10_000; guard++) {
    const p = ix.page(after, limit, q);
    out.push(...p.users);
    if (p.before !== out.length - p.users.length)
      t.fail(`before ${p.before} after ${out.length - p.users.length} listed`);
    if (!p.more) return out;
    after = sortKey(p.users[p.users.length - 1]!);
  }
  throw new Error('paging did not end');
}

t.test('paging walks every user exactly once, sorted by username (case-insensitive)', async (t) => {
  const users = [...list(1234), { ...user(5000), username: 'Zed' }, { ...user(5001), username: 'adam' }];
  const ix = UserIndex.build(users);
  for (const limit of [1, 7, 50, 500, 5000]) {
    const got = walk(t, ix, limit);
    t.equal(got.length, users.length, `limit ${limit}: all users`);
    t.equal(new Set(got.map((u) => u.id)).size, users.length, `limit ${limit}: each once`);
    const names = got.map((u) => u.username.toLowerCase());
    t.same(names, [...names].sort(), `limit ${limit}: in username order`);
  }
  t.equal(ix.page('', 10).total, users.length);
  const all = walk(t, ix, 50);
  t.equal(all[all.length - 1]!.username, 'Zed', 'case-folded: "Zed" sorts after every lower-case name');
  t.ok(all.findIndex((u) => u.username === 'adam') > all.findIndex((u) => u.username === 'ada.lovelace0'));
});

t.test('prefix search: username, email, a word of the name; case-insensitive; pages too', async (t) => {
  const users = list(500);
  const ix = UserIndex.build(users);
  const expect = (q: string) =>
    users
      .filter((u) => UserIndex.matchesQuery(u, q))
      .map((u) => u.id)
      .sort();
  for (const q of ['grace', 'GRACE.hop', 'Hopper', 'grace.hopper7', 'ada.lovelace0@corp', '42', 'zzz', ' Ada ']) {
    const got = walk(t, ix, 13, q).map((u) => u.id);
    t.same([...got].sort(), expect(q), `q=${JSON.stringify(q)}: the same users as a full scan`);
    t.equal(ix.page('', 1, q).total, got.length, `q=${JSON.stringify(q)}: total`);
  }
  t.same(
    walk(t, ix, 100, 'hopper').every((u) => u.name.includes('Hopper')),
    true,
    'a name word matches ("Grace Hopper 7" for hopper)',
  );
  t.equal(ix.page('', 10, 'opper').total, 0, 'prefixes only: no match inside a word');
  t.equal(ix.page('', 10, 'corp.test').total, 0, 'no match inside an email');
});

t.test('a cursor from one list works on the next (stable across reloads)', async (t) => {
  const before = UserIndex.build(list(300));
  const first = before.page('', 100);
  const cursor = sortKey(first.users[99]!);
  // The reloaded list lost the cursor's user and some others, and gained new ones.
  const after = UserIndex.build([...list(300).filter((_, i) => i % 3 !== 0), ...list(50, 'new-')]);
  const rest = [];
  for (let key = cursor; ;) {
    const p = after.page(key, 40);
    rest.push(...p.users);
    if (!p.more) break;
    key = sortKey(p.users[p.users.length - 1]!);
  }
  t.ok(
    rest.every((u) => sortKey(u) > cursor),
    'only users after the cursor',
  );
  t.same(
    rest.map((u) => u.id).sort(),
    [...list(300).filter((_, i) => i % 3 !== 0), ...list(50, 'new-')]
      .filter((u) => sortKey(u) > cursor)
      .map((u) => u.id)
      .sort(),
    'every user after the cursor in the new list, once',
  );
});

t.test('the order a worker computes is exactly the one build() uses', async (t) => {
  const users = list(200);
  const a = new UserIndex(users, indexOrder(users));
  const b = UserIndex.build(users);
  t.same(
    walk(t, a, 17, 'a').map((u) => u.id),
    walk(t, b, 17, 'a').map((u) => u.id),
  );
  t.same(
    walk(t, a, 17).map((u) => u.id),
    walk(t, b, 17).map((u) => u.id),
  );
});

t.test('an empty directory', async (t) => {
  const ix = UserIndex.build([]);
  t.same(ix.page('', 50), { users: [], before: 0, total: 0, more: false });
  t.same(ix.page('x\u0000y', 50, 'q').users, []);
});
