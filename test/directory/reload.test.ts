// Reloading the users file (SIGHUP → reloadConfig) swaps the directory atomically: requests
// made all through a reload see the old users or the new ones, never a mix and never none;
// an invalid file keeps the old directory and logs every error with its path (the worker's
// errors); reloads asked for during one run after it, and the last file wins.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { loadConfigFile } from '../../src/config/load.js';
import { reloadConfig } from '../../src/reload.js';
import { startGateway } from '../../src/server.js';
import { hashPassword } from '../../src/session/password.js';
import { createLogger } from '../../src/util/log.js';
import { testKeys } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startUpstream } from '../helpers/upstream.js';
import { usersYaml, writeDirectoryConfig } from '../helpers/users-file.js';

const HOST = 'app.dir.test';
const N = 3000;

t.test('a reload swaps the whole directory at once; a bad file keeps it', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const dir = t.testdir({});
  const hash = await hashPassword('pw', { ln: 10 });
  const file = writeDirectoryConfig(dir, upstream.url, usersYaml(N, hash, { admin: 'root', prefix: 'old-' }));
  const logs: string[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) }),
  });
  const gw = await startGateway(loadConfigFile(file), { log, keys: await testKeys() });
  t.teardown(() => gw.stop());
  const admin = (await login(gw.url, { host: HOST, slug: 'd', username: 'root', password: 'pw' })).jar;
  const sample = async (): Promise<{ status: number; prefixes: string[] }> => {
    const res = await request(gw.url, '/t/d/api/v1/users?limit=500&q=', {
      headers: { host: HOST, cookie: admin.header(), accept: 'application/json' },
    });
    const users = res.status === 200 ? res.json<{ users: { username: string }[] }>().users : [];
    return { status: res.status, prefixes: [...new Set(users.map((u) => u.username.split('-')[0]!))] };
  };
  const direct = () => {
    const ix = gw.deps.registry.tenants.get('d')!.userIndex;
    return { size: ix.size, old: ix.page('', 1, 'old-').total, next: ix.page('', 1, 'new-').total };
  };
  t.same(direct(), { size: N + 1, old: N, next: 0 });

  // The new file: other users entirely (the admin stays). Requests all through the reload.
  writeFileSync(join(dir, 'users.yaml'), usersYaml(N, hash, { admin: 'root', prefix: 'new-' }));
  let reloading = true;
  const seen: { status: number; prefixes: string[] }[] = [];
  const views: { size: number; old: number; next: number }[] = [];
  const poll = async () => {
    while (reloading) {
      views.push(direct());
      seen.push(await sample());
    }
  };
  const pollers = [poll(), poll()];
  t.equal(await reloadConfig(gw.deps), true, 'reloaded');
  reloading = false;
  await Promise.all(pollers);
  t.ok(seen.length > 0, `requests answered during the reload (${seen.length})`);
  t.ok(
    seen.every((s) => s.status === 200),
    'every request answered',
  );
  t.same(
    [...new Set(seen.map((s) => s.prefixes.filter((p) => p !== 'root').join('+')))].filter(
      (p) => p !== 'old' && p !== 'new',
    ),
    [],
    'each answer lists old users only or new users only: never a mix, never none',
  );
  t.same(
    views.filter((v) => !(v.size === N + 1 && ((v.old === N && v.next === 0) || (v.old === 0 && v.next === N)))),
    [],
    'the registry always holds one whole directory',
  );
  t.same(direct(), { size: N + 1, old: 0, next: N }, 'the new directory in force');
  t.match(logs.join(''), /configuration reloaded/);

  // An invalid file: the directory in force stays, every error is logged with its path.
  writeFileSync(
    join(dir, 'users.yaml'),
    `${usersYaml(5, hash, { admin: 'root', prefix: 'bad-' })}- id: x y\n  username: z\n  passwordHash: nope\n`,
  );
  logs.length = 0;
  t.equal(await reloadConfig(gw.deps), false, 'refused');
  t.same(direct(), { size: N + 1, old: 0, next: N }, 'the directory in force is kept');
  const text = logs.join('');
  t.match(
    text,
    /tenants\.d\.users\.file\([^)]*users\.yaml\)\[6\]\.id: configuration reload refused|configuration reload refused: tenants\.d\.users\.file\([^)]*\)\[6\]\.id: invalid user id/,
  );
  t.match(
    text,
    /configuration reload refused: tenants\.d\.users\.file\([^)]*\)\[6\]\.passwordHash: not a valid scrypt hash/,
  );
  t.match(text, /the old configuration stays in force/);
  t.equal((await sample()).status, 200);
});

t.test('SIGHUPs during a reload: one more reload after it, with the last file', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const dir = t.testdir({});
  const hash = await hashPassword('pw', { ln: 10 });
  const file = writeDirectoryConfig(dir, upstream.url, usersYaml(10, hash, { prefix: 'a-' }));
  const log = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const gw = await startGateway(loadConfigFile(file), { log, keys: await testKeys() });
  t.teardown(() => gw.stop());
  writeFileSync(join(dir, 'users.yaml'), usersYaml(20, hash, { prefix: 'b-' }));
  const first = reloadConfig(gw.deps);
  // Written while the first reload runs: the follow-up reload must read it.
  writeFileSync(join(dir, 'users.yaml'), usersYaml(30, hash, { prefix: 'c-' }));
  const second = reloadConfig(gw.deps);
  const third = reloadConfig(gw.deps);
  t.equal(second, third, 'the SIGHUPs during a reload share one follow-up');
  t.same(await Promise.all([first, second]), [true, true]);
  const ix = gw.deps.registry.tenants.get('d')!.userIndex;
  t.same([ix.size, ix.page('', 1, 'c-').total], [30, 30], 'the last file is in force');
});
