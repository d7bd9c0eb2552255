// SIGHUP reload: users and routes are re-read without dropping connections; an invalid
// file keeps the old configuration and logs every error with its path.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { loadConfigFile } from '../../src/config/load.js';
import { reloadConfig } from '../../src/reload.js';
import { hashPassword } from '../../src/session/password.js';
import { startGateway } from '../../src/server.js';
import { createLogger } from '../../src/util/log.js';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startUpstream } from '../helpers/upstream.js';
import { testKeys } from '../helpers/gateway.js';

const H = 'app.reload.test';

t.test('SIGHUP reloads users and routes; an invalid file changes nothing', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const dir = t.testdir({});
  const hash = await hashPassword('carol-password', { ln: 10 });
  const users = (extra = '') => `- { id: u-carol, username: carol, email: c@r.test, name: Carol, roles: [], passwordHash: "${hash}" }\n${extra}`;
  writeFileSync(join(dir, 'users.yaml'), users());
  writeFileSync(join(dir, 'routes.yaml'), '- { path: /open/**, allow: anonymous }\n- { path: /**, require: authenticated }\n');
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `server: { listen: 127.0.0.1:0, publicUrl: "http://gw.reload.test" }
tenants:
  r:
    users: { file: users.yaml }
    apps:
      - { name: app, hosts: [${H}], upstream: "${upstream.url}", routes: { file: routes.yaml } }
`,
  );
  const logs: string[] = [];
  const log = createLogger({ level: 'info', destination: new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) }) });
  const gw = await startGateway(loadConfigFile(join(dir, 'gateway.yaml')), { log, keys: await testKeys() });
  t.teardown(() => gw.stop());

  const { jar } = await login(gw.url, { host: H, slug: 'r', username: 'carol', password: 'carol-password' });
  t.equal((await request(gw.url, '/x', { headers: { host: H, cookie: jar.header() } })).status, 200);
  t.equal((await request(gw.url, '/open/x', { headers: { host: H, accept: 'application/json' } })).status, 200);
  const dave = await login(gw.url, { host: H, slug: 'r', username: 'dave', password: 'dave-password' });
  t.equal(dave.res.status, 401, 'dave does not exist yet');

  // A keep-alive connection stays open across the reload.
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const viaAgent = () =>
    new Promise<{ status: number; port: number }>((resolve, reject) => {
      const u = new URL(gw.url);
      http.get({ host: u.hostname, port: u.port, path: '/x', agent, headers: { host: H, cookie: jar.header() } }, (res) => {
        const port = res.socket.localPort ?? 0; // the socket goes back to the agent at 'end'
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, port }));
      }).on('error', reject);
    });
  const before = await viaAgent();

  const daveHash = await hashPassword('dave-password', { ln: 10 });
  writeFileSync(join(dir, 'users.yaml'), users(`- { id: u-dave, username: dave, email: d@r.test, name: Dave, roles: [], passwordHash: "${daveHash}" }\n`));
  writeFileSync(join(dir, 'routes.yaml'), '- { path: /open/**, allow: anonymous }\n- { path: /closed/**, require: { roles: [admin] } }\n- { path: /**, require: authenticated }\n');
  t.equal(await reloadConfig(gw.deps), true, 'reloaded');
  const after = await viaAgent();
  t.equal(after.status, 200);
  t.equal(after.port, before.port, 'the same keep-alive connection served requests before and after the reload');
  t.equal((await login(gw.url, { host: H, slug: 'r', username: 'dave', password: 'dave-password' })).res.status, 302, 'the new user can log in');
  t.equal((await request(gw.url, '/closed/x', { headers: { host: H, cookie: jar.header(), accept: 'application/json' } })).status, 403, 'the new route applies');
  t.equal((await request(gw.url, '/x', { headers: { host: H, cookie: jar.header() } })).status, 200, 'existing sessions survive');

  writeFileSync(join(dir, 'users.yaml'), '- { id: u-x, username: x, passwordHash: "not-a-hash", bogus: 1 }\n');
  writeFileSync(join(dir, 'routes.yaml'), '- { path: no-slash, allow: maybe }\n');
  logs.length = 0;
  t.equal(await reloadConfig(gw.deps), false, 'an invalid file is refused');
  const errors = logs.filter((l) => l.includes('configuration reload refused'));
  t.ok(errors.some((l) => l.includes('tenants.r.users.file(') && l.includes('passwordHash')), 'the users error names its path');
  t.ok(errors.some((l) => l.includes('bogus')), 'the unknown key is reported');
  t.ok(errors.some((l) => l.includes('tenants.r.apps[0].routes')), 'the routes error names its path');
  t.equal((await login(gw.url, { host: H, slug: 'r', username: 'dave', password: 'dave-password' })).res.status, 302, 'the old configuration stays in force');
  t.equal((await request(gw.url, '/closed/x', { headers: { host: H, cookie: jar.header(), accept: 'application/json' } })).status, 403);
});
