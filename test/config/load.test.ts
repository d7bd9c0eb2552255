// Config loading: the example, defaults, every error at once with its YAML path, ${ENV}, files, secrecy, freezing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULTS } from '../../src/config/defaults.js';
import { ConfigError, loadConfigFile, loadConfigText, loadUsersFile, reloadFiles } from '../../src/config/load.js';
import { applySettingsPatch, formatSettings, validateSettingsPatch } from '../../src/config/settings-patch.js';
import { hashPassword, verifyPassword } from '../../src/session/password.js';

const HASH = await hashPassword('pw', { ln: 10 });
const APP = '{ name: web, hosts: [web.acme.test], upstream: "http://127.0.0.1:3000" }';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** The `path: message` lines of the ConfigError that `fn` throws. */
function errorsOf(t: Test, fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    t.equal(
      e.message,
      e.errors.map((x) => `${x.path}: ${x.message}`).join('\n'),
      'message lists every error, one per line',
    );
    return e.errors.map((x) => `${x.path}: ${x.message}`);
  }
  t.fail('expected a ConfigError');
  return [];
}

t.test('the example config loads, with its users file', async (t) => {
  const cfg = loadConfigFile('config/gateway.example.yaml', { env: {} });
  t.match(cfg.server, { listen: { host: '127.0.0.1', port: 8080 }, publicUrl: 'http://localhost:8080' });
  t.equal(cfg.store.redis, null);
  const demo = cfg.tenants.demo;
  t.equal(demo?.displayName, 'Demo Tenant');
  t.match(demo?.usersFile, /config[/\\]users\.example\.yaml$/);
  t.same(
    demo?.users.map((u) => [u.id, u.username, u.roles]),
    [
      ['u-alice', 'alice', ['admin']],
      ['u-bob', 'bob', []],
    ],
  );
  t.equal(await verifyPassword('alice-password', demo?.users[0]?.passwordHash ?? ''), true);
  t.equal(await verifyPassword('bob-password', demo?.users[1]?.passwordHash ?? ''), true);
  const app = demo?.apps[0];
  t.same(app?.hosts, ['localhost']);
  t.equal(app?.upstream, 'http://127.0.0.1:3001');
  t.same(app?.routes, [
    { path: '/public/**', methods: null, require: null },
    { path: '/admin/**', methods: null, require: { roles: ['admin'], freshAuth: null, mfa: false } },
    { path: '/secure/**', methods: null, require: { roles: [], freshAuth: 600, mfa: true } },
    { path: '/**', methods: null, require: { roles: [], freshAuth: null, mfa: false } },
  ]);
  t.same(demo?.settings, DEFAULTS.settings, 'the example spells out exactly the defaults');
});

t.test('defaults fill every gap; partial settings merge key by key', async (t) => {
  const cfg = loadConfigText(
    `
tenants:
  acme:
    settings: { idleTimeout: 5m, rememberMe: { enabled: false }, cookie: { domain: .Acme.test } }
    users: [{ id: u1, username: alice, passwordHash: "${HASH}" }]
    clients: [{ id: spa, public: true }]
    apps: [${APP}]
`,
    { env: {} },
  );
  t.same(cfg.server, DEFAULTS.server);
  t.same(cfg.store, DEFAULTS.store);
  t.same(cfg.keys, DEFAULTS.keys);
  t.same(cfg.geoip, DEFAULTS.geoip);
  t.equal(cfg.source, null);
  const acme = cfg.tenants.acme;
  t.equal(acme?.displayName, 'acme');
  t.same(acme?.settings, {
    ...DEFAULTS.settings,
    idleTimeout: 300,
    rememberMe: { enabled: false, duration: 2_592_000 },
    cookie: { sameSite: 'lax', domain: 'acme.test' },
  });
  t.same(acme?.users[0], { id: 'u1', username: 'alice', email: '', name: 'alice', roles: [], passwordHash: HASH });
  t.same(acme?.clients[0], { id: 'spa', ...DEFAULTS.client, public: true });
  t.same(acme?.apps[0], {
    name: 'web',
    hosts: ['web.acme.test'],
    upstream: 'http://127.0.0.1:3000',
    ...DEFAULTS.app,
    routes: [],
    routesFile: null,
  });
});

t.test('values are normalised', async (t) => {
  const cfg = loadConfigText(
    `
server: { listen: "[::1]:9000", publicUrl: "https://Auth.Example.com:443/", trustedProxies: [loopback, 10.0.0.0/8, "fd00::/8"],
          ops: { listen: "0.0.0.0:9090" } }
store: { redis: "rediss://:pw@redis.internal:6380/2" }
keys: { algorithm: EdDSA }
tenants:
  acme:
    clients:
      - { id: svc, secretHash: "${HASH}", grants: [client_credentials], audience: billing-api, scopes: ["sessions:admin"] }
    apps:
      - name: web
        hosts: [Web.Acme.Test, "*.dash.acme.test", "::1"]
        upstream: http://127.0.0.1:3000/
        timeout: 90
        routes:
          - { path: /billing/**, methods: [post, PUT, post], require: { freshAuth: 5m } }
          - { path: /admin/*/x, require: { roles: [admin] } }
`,
    { env: {} },
  );
  t.same(cfg.server.listen, { host: '::1', port: 9000 });
  t.equal(cfg.server.publicUrl, 'https://auth.example.com', 'lower-cased, default port and trailing slash dropped');
  t.same(cfg.server.ops.listen, { host: '0.0.0.0', port: 9090 });
  t.same(cfg.store.redis, { url: 'rediss://:pw@redis.internal:6380/2' });
  t.equal(cfg.keys.algorithm, 'EdDSA');
  const acme = cfg.tenants.acme;
  t.same(acme?.clients[0]?.audience, ['billing-api']);
  t.same(acme?.clients[0]?.grants, ['client_credentials']);
  t.same(acme?.apps[0]?.hosts, ['web.acme.test', '*.dash.acme.test', '[::1]']);
  t.equal(acme?.apps[0]?.upstream, 'http://127.0.0.1:3000');
  t.equal(acme?.apps[0]?.timeout, 90);
  t.same(acme?.apps[0]?.routes[0], {
    path: '/billing/**',
    methods: ['POST', 'PUT'],
    require: { roles: [], freshAuth: 300, mfa: false },
  });

  const sentinel = loadConfigText('store: { redis: { sentinels: [{ host: s1, port: 26379 }], name: mymaster } }', {
    env: {},
  });
  t.same(sentinel.store.redis, { sentinels: [{ host: 's1', port: 26379 }], name: 'mymaster' });
  const cluster = loadConfigText(
    'store: { redis: { cluster: [{ host: c1, port: 6379 }, { host: c2, port: 6379 }] } }',
    { env: {} },
  );
  t.same(cluster.store.redis, {
    cluster: [
      { host: 'c1', port: 6379 },
      { host: 'c2', port: 6379 },
    ],
  });
});

t.test('every error at once, each at its exact YAML path', async (t) => {
  const lines = errorsOf(t, () =>
    loadConfigText(
      `
server:
  publicUrl: https://auth.acme.test/login
  trustedProxies: [loopback, not-an-ip]
store: { failureMode: open }
tenants:
  Acme_Inc: {}
  acme:
    settings:
      idelTimeout: 5m
      ipBinding: sometimes
    clients:
      - { id: spa, public: true, secretHash: "${HASH}" }
    apps:
      - name: web
        hosts: [web.acme.test]
        routes:
          - { path: /a, allow: anonymous }
          - { path: /b, require: authenticated }
          - { path: /admin/**, require: { freshAuth: 5x } }
      - { name: web, hosts: [other.acme.test], upstream: "http://127.0.0.1:1" }
  beta:
    apps:
      - { name: b, hosts: [WEB.acme.test], upstream: "http://127.0.0.1:2" }
`,
      { env: {} },
    ),
  );
  const expected = [
    'server.publicUrl: publicUrl must be an http(s) origin',
    'server.trustedProxies[1]: invalid trusted proxy "not-an-ip"',
    'store.failureMode: invalid value "open" (expected one of: closed)',
    'tenants.Acme_Inc: invalid tenant slug',
    'tenants.acme.settings.idelTimeout: unknown key',
    'tenants.acme.settings.ipBinding: invalid value "sometimes" (expected one of: off, exact, subnet)',
    'tenants.acme.clients[0].secretHash: a public client must not have a secret',
    'tenants.acme.apps[0].upstream: required',
    'tenants.acme.apps[0].routes[2].require.freshAuth: invalid duration "5x"',
    'tenants.acme.apps[1].name: duplicate app name "web" (also at [0])',
    'tenants.beta.apps[0].hosts[0]: host "WEB.acme.test" already belongs to tenants.acme.apps[0]',
  ];
  for (const e of expected)
    t.ok(
      lines.some((l) => l.startsWith(e)),
      e,
    );
  t.equal(lines.length, expected.length, `nothing else: ${lines.join(' | ')}`);
});

t.test('more shapes that are refused', async (t) => {
  const lines = errorsOf(t, () =>
    loadConfigText(
      `
server: { listen: "localhost", maxHeaderBytes: 10, ops: { listen: "1.2.3.4:99999" } }
keys: { algorithm: HS256 }
tenants:
  acme:
    users:
      - { id: u1, username: alice, passwordHash: not-a-hash }
      - { id: u1, username: ALICE, passwordHash: "${HASH}", roles: ["a,b"] }
    clients:
      - { id: svc }
      - { id: svc, public: true, grants: [client_credentials, password] }
    apps:
      - name: web
        hosts: ["web.acme.test:8080"]
        upstream: ftp://127.0.0.1
        routes:
          - { path: admin }
          - { path: "/a*b", allow: anonymous }
          - { path: /x, allow: everyone }
          - { path: /y, methods: ["GE T"], require: { roles: [admin], fresh: 1m } }
`,
      { env: {} },
    ),
  );
  const expected = [
    'server.listen: invalid listen address',
    'server.maxHeaderBytes: must be at least 1024',
    'server.ops.listen: port must be 0–65535',
    'keys.algorithm: invalid value "HS256"',
    'tenants.acme.users[0].passwordHash: not a valid scrypt hash',
    'tenants.acme.users[1].id: duplicate user id "u1"',
    'tenants.acme.users[1].username: duplicate username "ALICE"',
    'tenants.acme.users[1].roles[0]: invalid role name',
    'tenants.acme.clients[0].secretHash: required for a confidential client',
    'tenants.acme.clients[1].id: duplicate client id "svc"',
    'tenants.acme.clients[1].grants[1]: invalid value "password"',
    'tenants.acme.clients[1].grants: a public client cannot use client_credentials',
    'tenants.acme.apps[0].hosts[0]: invalid host "web.acme.test:8080"',
    'tenants.acme.apps[0].upstream: upstream must be an http(s) URL',
    'tenants.acme.apps[0].routes[0].path: invalid route path "admin": must start with /',
    'tenants.acme.apps[0].routes[0]: a route needs exactly one of allow',
    'tenants.acme.apps[0].routes[1].path: invalid route path "/a*b": wildcards are whole segments',
    'tenants.acme.apps[0].routes[2].allow: invalid value "everyone" (expected one of: anonymous)',
    'tenants.acme.apps[0].routes[3].methods[0]: invalid HTTP method',
    'tenants.acme.apps[0].routes[3].require.fresh: unknown key',
  ];
  for (const e of expected)
    t.ok(
      lines.some((l) => l.startsWith(e)),
      e,
    );
  t.equal(lines.length, expected.length, `nothing else: ${lines.join(' | ')}`);
  t.notOk(
    lines.some((l) => l.includes('not-a-hash')),
    'a password hash is never echoed',
  );
});

t.test('${ENV} substitution', async (t) => {
  const cfg = loadConfigText(
    `
server: { publicUrl: "https://\${GK_HOST}", listen: "0.0.0.0:\${GK_PORT}" }
tenants:
  acme:
    displayName: "Costs $\${PRICE} — \${GK_NAME}"
    users: [{ id: u1, username: alice, passwordHash: "\${ALICE_HASH}" }]
`,
    { env: { GK_HOST: 'auth.acme.test', GK_PORT: '8443', GK_NAME: 'Acme', ALICE_HASH: HASH } },
  );
  t.equal(cfg.server.publicUrl, 'https://auth.acme.test');
  t.same(cfg.server.listen, { host: '0.0.0.0', port: 8443 });
  t.equal(cfg.tenants.acme?.displayName, 'Costs ${PRICE} — Acme', '$${ is a literal ${');
  t.equal(cfg.tenants.acme?.users[0]?.passwordHash, HASH);

  const lines = errorsOf(t, () =>
    loadConfigText(
      `
store: { keyPrefix: "\${MISSING}" }
tenants:
  acme:
    displayName: "\${not valid}"
    settings: { idleTimeout: "\${IDLE}" }
    apps: [{ name: web, hosts: [a.test], upstream: "\${UPSTREAM" }]
`,
      { env: {} },
    ),
  );
  t.same(
    lines,
    [
      'store.keyPrefix: environment variable MISSING is not set',
      'tenants.acme.displayName: invalid environment variable name in ${…} (write $${ for a literal ${)',
      'tenants.acme.settings.idleTimeout: environment variable IDLE is not set',
      'tenants.acme.apps[0].upstream: unterminated ${ (write $${ for a literal ${)',
    ],
    'one error per reference, no follow-up noise from the unreplaced text',
  );
});

t.test('a value from the environment never appears in an error message', async (t) => {
  const secret = 'hunter2 Sup3r s3cret!';
  const lines = errorsOf(t, () =>
    loadConfigText(
      `
server: { trustedProxies: ["\${S}"], publicUrl: "https://\${S}/x" }
store: { redis: "redis://:\${S}@host:6379" , keyPrefix: 7 }
tenants:
  acme:
    settings: { idleTimeout: "\${S}", ipBinding: "\${S}" }
    users: [{ id: u1, username: alice, passwordHash: "\${S}" }]
    clients: [{ id: svc, secretHash: "$scrypt$\${S}" }]
    apps: [{ name: web, hosts: ["\${S}"], upstream: "http://\${S}/", routes: [{ path: "/\${S}", require: "\${S}" }] }]
`,
      { env: { S: secret } },
    ),
  );
  t.ok(lines.length >= 9, lines.join('\n'));
  for (const p of [
    'server.trustedProxies[0]',
    'tenants.acme.settings.idleTimeout',
    'tenants.acme.settings.ipBinding',
    'tenants.acme.users[0].passwordHash',
    'tenants.acme.clients[0].secretHash',
    'tenants.acme.apps[0].hosts[0]',
    'tenants.acme.apps[0].routes[0].path',
    'tenants.acme.apps[0].routes[0].require',
  ]) {
    t.ok(
      lines.some((l) => l.startsWith(`${p}: `)),
      `reported at ${p}`,
    );
  }
  for (const l of lines) t.notOk(l.includes(secret) || l.includes('hunter2'), l);
});

t.test('users and routes files are read relative to the config file', async (t) => {
  const dir = t.testdir({
    conf: {
      'gateway.yaml': `
tenants:
  acme:
    users: { file: users/acme.yaml }
    apps:
      - { name: web, hosts: [web.acme.test], upstream: "http://127.0.0.1:3000", routes: { file: routes/web.yaml } }
`,
      users: { 'acme.yaml': `- { id: u1, username: alice, roles: [admin], passwordHash: "${HASH}" }\n` },
      routes: { 'web.yaml': '- { path: /public/**, allow: anonymous }\n- { path: /**, require: authenticated }\n' },
    },
  });
  const cfg = loadConfigFile(join(dir, 'conf/gateway.yaml'), { env: {} });
  const acme = cfg.tenants.acme;
  t.equal(cfg.source, join(dir, 'conf/gateway.yaml'));
  t.equal(acme?.usersFile, join(dir, 'conf/users/acme.yaml'));
  t.same(
    acme?.users.map((u) => u.id),
    ['u1'],
  );
  t.equal(acme?.apps[0]?.routesFile, join(dir, 'conf/routes/web.yaml'));
  t.same(
    acme?.apps[0]?.routes.map((r) => r.path),
    ['/public/**', '/**'],
  );

  // SIGHUP: a valid edit is picked up; an invalid one throws and the caller keeps the old config.
  writeFileSync(join(dir, 'conf/users/acme.yaml'), `- { id: u2, username: bob, passwordHash: "${HASH}" }\n`);
  const next = reloadFiles(cfg, { env: {} });
  t.same(
    next.tenants.acme?.users.map((u) => u.id),
    ['u2'],
  );
  t.ok(Object.isFrozen(next.tenants.acme?.users[0]));
  writeFileSync(join(dir, 'conf/routes/web.yaml'), '- { path: nope, allow: anonymous }\n');
  const lines = errorsOf(t, () => reloadFiles(next, { env: {} }));
  t.match(lines, [/^tenants\.acme\.apps\[0\]\.routes\.file\(.*web\.yaml\)\[0\]\.path: invalid route path "nope"/]);
  t.same(
    cfg.tenants.acme?.users.map((u) => u.id),
    ['u1'],
    'the old config is untouched',
  );

  t.same(
    loadUsersFile(join(dir, 'conf/users/acme.yaml'), { env: {} }).map((u) => u.username),
    ['bob'],
  );
});

t.test('errors inside users and routes files carry the file in their path', async (t) => {
  const dir = t.testdir({
    'gateway.yaml': `
tenants:
  acme:
    users: { file: users/acme.yaml }
    apps:
      - { name: web, hosts: [web.acme.test], upstream: "http://127.0.0.1:3000", routes: { file: routes/missing.yaml } }
      - { name: api, hosts: [api.acme.test], upstream: "http://127.0.0.1:3001", routes: { file: routes/bad.yaml } }
  beta:
    users: { file: users/beta.yaml }
    settings: { refreshGrace: forever }
`,
    users: {
      'acme.yaml': `- { id: u1, username: alice, passwordHash: "${HASH}" }\n- { id: u2, username: bob, passwordHash: "$scrypt$ln=40,r=8,p=1$AAAA$BBBB", shoeSize: 9 }\n`,
      'beta.yaml': '- { id: u1, username: alice\n',
    },
    routes: { 'bad.yaml': '- { path: /x, require: { freshAuth: 5x } }\n' },
  });
  const lines = errorsOf(t, () => loadConfigFile(join(dir, 'gateway.yaml'), { env: {} }));
  t.same(lines.sort(), [
    'tenants.acme.apps[0].routes.file: cannot read routes/missing.yaml: ENOENT',
    'tenants.acme.apps[1].routes.file(routes/bad.yaml)[0].require.freshAuth: invalid duration "5x" (use e.g. 90s, 30m, 24h, 30d or whole seconds)',
    'tenants.acme.users.file(users/acme.yaml)[1].passwordHash: not a valid scrypt hash ($scrypt$ln=..,r=..,p=..$salt$hash within safe bounds; create one with `gatekeeper hash-password`)',
    'tenants.acme.users.file(users/acme.yaml)[1].shoeSize: unknown key',
    'tenants.beta.settings.refreshGrace: invalid duration "forever" (use e.g. 90s, 30m, 24h, 30d or whole seconds)',
    'tenants.beta.users.file(users/beta.yaml):2:1: YAML: Flow map in block collection must be sufficiently indented and end with a }',
  ]);
});

t.test('YAML syntax errors are reported with line:column, all of them', async (t) => {
  const lines = errorsOf(t, () =>
    loadConfigText('server:\n  listen: 1.2.3.4:80\n  listen: 1.2.3.4:81\ntenants: [\n', { source: 'gw.yaml', env: {} }),
  );
  t.ok(lines.length >= 2, lines.join('\n'));
  t.match(lines[0], /^gw\.yaml:3:3: YAML: Map keys must be unique/);
  t.ok(
    lines.slice(1).every((l) => /^gw\.yaml:\d+:\d+: YAML: /.test(l)),
    lines.join('\n'),
  );
  t.same(
    errorsOf(t, () => loadConfigText('x: !custom 1\n', { env: {} })),
    ['config:1:4: YAML: Unresolved tag: !custom'],
  );
  t.same(
    errorsOf(t, () => loadConfigText('# nothing\n', { env: {} })),
    ['(root): the configuration is empty'],
  );
  t.same(
    errorsOf(t, () => loadConfigText('- a\n', { env: {} })),
    ['(root): expected a mapping, got a list'],
  );
  t.same(errorsOf(t, () => loadConfigFile(join(t.testdirName, 'nope.yaml'))).length, 1);
});

t.test('missing key and GeoIP files are reported; present ones resolve to absolute paths', async (t) => {
  const dir = t.testdir({ 'keys.json': '{"keys":[]}' });
  const cfg = loadConfigText('keys: { file: keys.json }\n', { baseDir: dir, env: {} });
  t.equal(cfg.keys.file, join(dir, 'keys.json'));
  t.same(
    errorsOf(t, () => loadConfigText('geoip: { file: nope.mmdb }\n', { baseDir: dir, env: {} })),
    ["geoip.file: cannot read the file (ENOENT; relative paths start at the config file's directory)"],
  );
});

t.test('the result is deep-frozen', async (t) => {
  const cfg = loadConfigText(`tenants: { acme: { apps: [${APP}] } }`, { env: {} });
  for (const o of [
    cfg,
    cfg.server,
    cfg.server.listen,
    cfg.server.trustedProxies,
    cfg.tenants,
    cfg.tenants.acme,
    cfg.tenants.acme?.settings,
    cfg.tenants.acme?.settings.cookie,
    cfg.tenants.acme?.apps,
    cfg.tenants.acme?.apps[0]?.hosts,
  ]) {
    t.ok(Object.isFrozen(o));
  }
  t.throws(() => {
    (cfg.server as { publicUrl: string }).publicUrl = 'http://evil.test';
  }, TypeError);
  t.equal(cfg.server.publicUrl, DEFAULTS.server.publicUrl);
  t.ok(Object.isFrozen(DEFAULTS.settings.rememberMe), 'DEFAULTS cannot be changed either');
});

t.test('the settings patch schema the auth-settings API reuses', async (t) => {
  const ok = validateSettingsPatch({
    idleTimeout: '45m',
    rememberMe: { duration: 86_400 },
    cookie: { sameSite: 'strict' },
  });
  t.same(ok, {
    ok: true,
    value: { idleTimeout: 2700, rememberMe: { duration: 86_400 }, cookie: { sameSite: 'strict' } },
  });
  if (ok.ok) {
    const s = applySettingsPatch(DEFAULTS.settings, ok.value);
    t.same(s, {
      ...DEFAULTS.settings,
      idleTimeout: 2700,
      rememberMe: { enabled: true, duration: 86_400 },
      cookie: { sameSite: 'strict', domain: null },
    });
  }
  t.same(validateSettingsPatch({ idleTimeout: '0s', loginThrottle: { windw: '1m' }, maxConcurrentSessions: -1 }), {
    ok: false,
    errors: [
      { path: 'idleTimeout', message: 'must be at least 1s' },
      { path: 'maxConcurrentSessions', message: 'must be at least 0' },
      { path: 'loginThrottle.windw', message: 'unknown key' },
    ],
  });
  const shown = formatSettings(DEFAULTS.settings);
  t.same(
    shown,
    {
      sessionLifetime: '24h',
      accessTokenLifetime: '1h',
      refreshTokenLifetime: '30d',
      idleTimeout: '30m',
      rememberMe: { enabled: true, duration: '30d' },
      maxConcurrentSessions: 0,
      concurrentSessionPolicy: 'evict-oldest',
      ipBinding: 'off',
      ipBindingAction: 'reject',
      cookie: { sameSite: 'lax', domain: null },
      loginThrottle: { maxFailures: 5, window: '15m', lockout: '30m' },
      refreshGrace: '10s',
      mfa: { totp: true, webauthn: true, passkeyLogin: true, required: false, rpId: null },
    },
    'GET shape: the SPEC strings',
  );
  t.same(validateSettingsPatch(shown), { ok: true, value: DEFAULTS.settings }, 'and it round-trips through PATCH');
  t.match(validateSettingsPatch('nope'), {
    ok: false,
    errors: [{ path: '(root)', message: 'expected a mapping, got string' }],
  });
});

t.test('identity providers: defaults filled, every error at its path (SPEC §12)', async (t) => {
  const cfg = loadConfigText(
    `
tenants:
  acme:
    identityProviders:
      - { id: corp, displayName: Corp SSO, issuer: "https://sso.acme.test/realms/acme/", clientId: gk, clientSecret: s3cret, roleMap: { corp-admins: admin } }
      - { id: pub, displayName: Public, issuer: "https://idp.test", clientId: spa, claims: { roles: realm_access.roles }, endSessionOnLogout: true }
`,
    { env: {} },
  );
  const [corp, pub] = cfg.tenants.acme!.identityProviders;
  t.match(corp, {
    id: 'corp',
    issuer: 'https://sso.acme.test/realms/acme',
    clientSecret: 's3cret',
    scopes: ['openid', 'email', 'profile'],
    claims: { username: 'preferred_username', email: 'email', name: 'name', roles: 'groups' },
    roleMap: { 'corp-admins': 'admin' },
    allowedRoles: [],
    backchannelLogout: true,
    endSessionOnLogout: false,
  });
  t.match(pub, {
    clientSecret: null,
    claims: { username: 'preferred_username', roles: 'realm_access.roles' },
    endSessionOnLogout: true,
  });
  t.same(cfg.tenants.acme!.users, [], 'a tenant may have providers and no users');

  const lines = errorsOf(t, () =>
    loadConfigText(
      `
tenants:
  acme:
    identityProviders:
      - { id: Corp, displayName: x, issuer: "ftp://x", clientId: "", scopes: [email], extra: 1, roleMap: { a: "bad role" } }
      - { id: dup, displayName: a, issuer: "https://a.test", clientId: c }
      - { id: dup, displayName: b, issuer: "https://b.test", clientId: c }
      - { displayName: c, clientId: c }
`,
      { env: {} },
    ),
  );
  const at = (path: string): string[] =>
    lines.filter((l) => l.startsWith(`${path}: `) || l.startsWith(`${path}.`) || l.startsWith(`${path}[`));
  t.ok(at('tenants.acme.identityProviders[0].id').length > 0, 'a bad provider id');
  t.match(at('tenants.acme.identityProviders[0].issuer'), [/issuer must be an http\(s\) URL/]);
  t.ok(at('tenants.acme.identityProviders[0].clientId').length > 0, 'an empty client id');
  t.match(at('tenants.acme.identityProviders[0].scopes'), [/must include openid/]);
  t.match(at('tenants.acme.identityProviders[0].extra'), [/unknown key/]);
  t.ok(at('tenants.acme.identityProviders[0].roleMap').length > 0, 'a role that could not be a role name');
  t.ok(
    lines.some((l) => /identityProviders\[2\].*dup/.test(l) || /identityProviders\[2\]\.id/.test(l)),
    'a duplicate id',
  );
  t.ok(
    at('tenants.acme.identityProviders[3].id').length > 0 && at('tenants.acme.identityProviders[3].issuer').length > 0,
    'required keys',
  );
});
