// SIGHUP reload: users and routes are re-read without dropping connections; an invalid
// file keeps the old configuration and logs every error with its path; settings saved
// through the API stay in force at every instant of a reload (SPEC §2), also when the
// store cannot be read meanwhile, and a change announced during the reload is not lost.
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
import { StoreUnavailableError, type SessionStore } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';

const H = 'app.reload.test';

t.test('SIGHUP reloads users and routes; an invalid file changes nothing', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const dir = t.testdir({});
  const hash = await hashPassword('carol-password', { ln: 10 });
  const users = (extra = '') =>
    `- { id: u-carol, username: carol, email: c@r.test, name: Carol, roles: [], passwordHash: "${hash}" }\n${extra}`;
  writeFileSync(join(dir, 'users.yaml'), users());
  writeFileSync(
    join(dir, 'routes.yaml'),
    '- { path: /open/**, allow: anonymous }\n- { path: /**, require: authenticated }\n',
  );
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
  const log = createLogger({
    level: 'info',
    destination: new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) }),
  });
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
      http
        .get(
          { host: u.hostname, port: u.port, path: '/x', agent, headers: { host: H, cookie: jar.header() } },
          (res) => {
            const port = res.socket.localPort ?? 0; // the socket goes back to the agent at 'end'
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, port }));
          },
        )
        .on('error', reject);
    });
  const before = await viaAgent();

  const daveHash = await hashPassword('dave-password', { ln: 10 });
  writeFileSync(
    join(dir, 'users.yaml'),
    users(`- { id: u-dave, username: dave, email: d@r.test, name: Dave, roles: [], passwordHash: "${daveHash}" }\n`),
  );
  writeFileSync(
    join(dir, 'routes.yaml'),
    '- { path: /open/**, allow: anonymous }\n- { path: /closed/**, require: { roles: [admin] } }\n- { path: /**, require: authenticated }\n',
  );
  t.equal(await reloadConfig(gw.deps), true, 'reloaded');
  const after = await viaAgent();
  t.equal(after.status, 200);
  t.equal(after.port, before.port, 'the same keep-alive connection served requests before and after the reload');
  t.equal(
    (await login(gw.url, { host: H, slug: 'r', username: 'dave', password: 'dave-password' })).res.status,
    302,
    'the new user can log in',
  );
  t.equal(
    (await request(gw.url, '/closed/x', { headers: { host: H, cookie: jar.header(), accept: 'application/json' } }))
      .status,
    403,
    'the new route applies',
  );
  t.equal(
    (await request(gw.url, '/x', { headers: { host: H, cookie: jar.header() } })).status,
    200,
    'existing sessions survive',
  );

  writeFileSync(join(dir, 'users.yaml'), '- { id: u-x, username: x, passwordHash: "not-a-hash", bogus: 1 }\n');
  writeFileSync(join(dir, 'routes.yaml'), '- { path: no-slash, allow: maybe }\n');
  logs.length = 0;
  t.equal(await reloadConfig(gw.deps), false, 'an invalid file is refused');
  const errors = logs.filter((l) => l.includes('configuration reload refused'));
  t.ok(
    errors.length > 0 && errors.every((l) => (JSON.parse(l) as { code?: string }).code === 'ERR_GK_CONFIG'),
    'every refusal line carries ERR_GK_CONFIG',
  );
  t.ok(
    errors.some((l) => l.includes('tenants.r.users.file(') && l.includes('passwordHash')),
    'the users error names its path',
  );
  t.ok(
    errors.some((l) => l.includes('bogus')),
    'the unknown key is reported',
  );
  t.ok(
    errors.some((l) => l.includes('tenants.r.apps[0].routes')),
    'the routes error names its path',
  );
  t.equal(
    (await login(gw.url, { host: H, slug: 'r', username: 'dave', password: 'dave-password' })).res.status,
    302,
    'the old configuration stays in force',
  );
  t.equal(
    (await request(gw.url, '/closed/x', { headers: { host: H, cookie: jar.header(), accept: 'application/json' } }))
      .status,
    403,
  );
});

t.test('saved settings stay in force at every instant of a reload, even when the store fails during it', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const dir = t.testdir({});
  const hash = await hashPassword('carol-password', { ln: 10 });
  writeFileSync(
    join(dir, 'users.yaml'),
    `- { id: u-carol, username: carol, email: c@r.test, name: Carol, roles: [], passwordHash: "${hash}" }\n`,
  );
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `server: { listen: 127.0.0.1:0, publicUrl: "http://gw.reload.test" }
tenants:
  r:
    settings: { idleTimeout: 30m }
    users: { file: users.yaml }
    clients:
      - { id: admin-cli, secretHash: "${hash}", grants: [client_credentials], scopes: ["sessions:admin"] }
    apps:
      - { name: app, hosts: [${H}], upstream: "${upstream.url}" }
`,
  );
  const logs: string[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) }),
  });
  const clock = new ManualClock();
  const gw = await startGateway(loadConfigFile(join(dir, 'gateway.yaml')), { log, keys: await testKeys(), clock });
  t.teardown(() => gw.stop());
  const basic = `Basic ${Buffer.from('admin-cli:carol-password').toString('base64')}`;
  const grant = {
    method: 'POST',
    headers: { host: H, authorization: basic },
    form: { grant_type: 'client_credentials' },
  };
  const tok = await request(gw.url, '/t/r/api/v1/oauth/token', grant);
  const admin = { host: H, authorization: `Bearer ${tok.json<{ access_token: string }>().access_token}` };
  const api = '/t/r/api/v1/configuration/auth-settings';
  /** The effective settings, as the API answers them (the registry in force at that moment). */
  const idleNow = async (): Promise<string> =>
    (await request(gw.url, api, { headers: admin })).json<{ settings: { idleTimeout: string } }>().settings.idleTimeout;
  const patch = { idleTimeout: '5m', cookie: { sameSite: 'strict' } };
  const saved = await request(gw.url, api, {
    method: 'PATCH',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  t.equal(saved.status, 200, 'settings saved through the API');
  t.equal(await idleNow(), '5m');

  const real = gw.deps.store;
  /** The store, with getTenantSettings replaced (for the reload's reads) until restored. */
  const withSettingsRead = (read: (tenant: string) => Promise<string | null>): void => {
    gw.deps.store = new Proxy(real, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop === 'getTenantSettings') return read;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as SessionStore;
  };
  t.teardown(() => {
    gw.deps.store = real;
  });

  await t.test('while the reload reads the saved settings, requests see them (not the YAML values)', async (t) => {
    let reached!: () => void;
    let release!: () => void;
    const reading = new Promise<void>((r) => (reached = r));
    const released = new Promise<void>((r) => (release = r));
    withSettingsRead(async (tenant) => {
      reached();
      await released;
      return real.getTenantSettings(tenant);
    });
    const reload = reloadConfig(gw.deps);
    await reading;
    t.equal(await idleNow(), '5m', 'mid-reload: the saved idleTimeout is in force');
    t.equal(gw.deps.registry.tenants.get('r')!.cookie.sameSite, 'strict', 'and the saved cookie policy');
    release();
    t.equal(await reload, true, 'reloaded');
    gw.deps.store = real;
    t.equal(await idleNow(), '5m', 'after the reload');
  });

  await t.test('the store throws during the reload: the settings in force are kept, with a warning', async (t) => {
    withSettingsRead(() => Promise.reject(new StoreUnavailableError('test: store down (getTenantSettings)')));
    logs.length = 0;
    t.equal(await reloadConfig(gw.deps), true, 'users and routes reloaded all the same');
    gw.deps.store = real;
    t.equal(await idleNow(), '5m', 'the saved idleTimeout is still in force');
    t.ok(
      logs.some((l) => l.includes('"level":40') && l.includes('saved tenant settings')),
      'a warning says so',
    );
    const { jar, res } = await login(gw.url, { host: H, slug: 'r', username: 'carol', password: 'carol-password' });
    t.match(String(res.headers['set-cookie']), /SameSite=Strict/, 'the saved cookie policy is applied');
    clock.advance(6 * 60_000);
    const late = await request(gw.url, '/x', {
      headers: { host: H, cookie: jar.header(), accept: 'application/json' },
    });
    t.equal(late.status, 401, 'a session idle for 6 minutes is over (saved idleTimeout 5m, not the YAML 30m)');
  });

  await t.test('a change announced while the reload builds its registry is not undone by the swap', async (t) => {
    let reached!: () => void;
    let release!: () => void;
    const reading = new Promise<void>((r) => (reached = r));
    const released = new Promise<void>((r) => (release = r));
    withSettingsRead(async (tenant) => {
      const value = await real.getTenantSettings(tenant); // read before the change...
      reached();
      await released; // ...and handed over after it
      return value;
    });
    const reload = reloadConfig(gw.deps);
    await reading;
    gw.deps.store = real;
    // Another instance saves idleTimeout 7m and announces it (as the API does).
    const stored = JSON.parse((await real.getTenantSettings('r'))!) as Record<string, unknown>;
    await real.setTenantSettings('r', JSON.stringify({ ...stored, idleTimeout: 420 }));
    await gw.deps.bus.settingsChanged('r');
    release();
    t.equal(await reload, true);
    t.equal(await idleNow(), '7m', 'the announced change is in force after the reload');
  });
});
