// Loading in the worker thread gives what the synchronous loader gives: the same frozen
// configuration (users, their order, routes, everything else), the same ConfigError with
// the same paths and messages for every kind of problem, ${ENV} substitution included; and
// the directory of the loaded users is built ahead (the registry only picks it up).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfigFile } from '../../src/config/load.js';
import { loadConfigInWorker } from '../../src/directory/load-in-worker.js';
import { buildRegistry } from '../../src/registry.js';
import { hashPassword } from '../../src/session/password.js';
import { usersYaml, writeDirectoryConfig } from '../helpers/users-file.js';

const errorsOf = async (f: () => unknown): Promise<unknown> => {
  try {
    await f();
    return 'no error';
  } catch (e) {
    return e instanceof ConfigError ? e.errors : `not a ConfigError: ${String(e)}`;
  }
};

t.test('the same configuration as loadConfigFile, frozen, with its directory built', async (t) => {
  const dir = t.testdir({});
  const hash = await hashPassword('pw', { ln: 10 });
  const file = writeDirectoryConfig(dir, 'http://127.0.0.1:9', usersYaml(3000, hash, { admin: 'root' }));
  const viaWorker = await loadConfigInWorker(file);
  const sync = loadConfigFile(file);
  t.same(viaWorker, sync, 'deeply equal');
  const users = viaWorker.tenants.d!.users;
  t.equal(users.length, 3001);
  t.ok(Object.isFrozen(users) && Object.isFrozen(users[5]) && Object.isFrozen(users[5]!.roles), 'frozen');
  t.ok(Object.isFrozen(viaWorker.tenants.d!.apps[0]!.routes), 'the rest frozen too');
  const tenant = buildRegistry(viaWorker).tenants.get('d')!;
  t.equal(tenant.usersById.get('u-root')?.username, 'root');
  t.equal(tenant.usersByName.get('root')?.id, 'u-root');
  t.equal(tenant.userIndex.size, 3001);
  t.same(
    tenant.userIndex.page('', 3, 'grace').users.map((u) => u.username),
    buildRegistry(sync)
      .tenants.get('d')!
      .userIndex.page('', 3, 'grace')
      .users.map((u) => u.username),
    'the index the worker ordered pages like one built here',
  );
});

t.test("the worker's errors are the synchronous loader's, for every kind of problem", async (t) => {
  const dir = t.testdir({});
  const hash = await hashPassword('pw', { ln: 10 });
  const good = usersYaml(5, hash);
  const cases: Record<string, string> = {
    'YAML syntax': `${good}- id: x\n  name: "unterminated\n`,
    'schema errors': `${good}- id: bad id\n  username: " x"\n  passwordHash: nope\n  extra: 1\n`,
    duplicates: `${good}${usersYaml(1, hash, { from: 3 })}`,
    'not a list': 'users: []\n',
    'unset ${VAR}': `${good}- id: e\n  username: e\n  passwordHash: "\${NOT_SET_ANYWHERE}"\n`,
  };
  for (const [what, text] of Object.entries(cases)) {
    const file = writeDirectoryConfig(dir, 'http://127.0.0.1:9', text);
    const sync = await errorsOf(() => loadConfigFile(file));
    t.ok(Array.isArray(sync) && sync.length > 0, `${what}: the loader refuses it`);
    t.same(await errorsOf(() => loadConfigInWorker(file)), sync, `${what}: the same errors from the worker`);
  }
  t.same(
    await errorsOf(() => loadConfigInWorker(join(dir, 'missing.yaml'))),
    await errorsOf(() => loadConfigFile(join(dir, 'missing.yaml'))),
    'a missing file',
  );
});

t.test('${ENV} in the users file: substituted alike, the env passed to the worker', async (t) => {
  const dir = t.testdir({});
  const hash = await hashPassword('pw', { ln: 10 });
  const file = writeDirectoryConfig(
    dir,
    'http://127.0.0.1:9',
    `- id: a\n  username: a\n  passwordHash: "\${A_HASH}"\n`,
  );
  const env = { A_HASH: hash };
  t.same(await loadConfigInWorker(file, { env }), loadConfigFile(file, { env }));
  writeFileSync(join(dir, 'users.yaml'), `- id: a\n  username: a\n  passwordHash: "\${A_HASH}"\n`);
  const bad = { A_HASH: 'not-a-hash-value' };
  const e = await errorsOf(() => loadConfigInWorker(file, { env: bad }));
  t.same(e, await errorsOf(() => loadConfigFile(file, { env: bad })));
  t.notMatch(JSON.stringify(e), /not-a-hash-value/, 'the value from the environment is not echoed');
});
