// The server-rendered pages over real HTTP (no browser): signed-out redirects, the admin
// gate, security headers on every page, the CSRF token in every form, and every action
// refused (403, nothing changed) without the token or from another site.
import t from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';
import { SETTINGS_FIELDS, valueAt } from '../../src/ui/settings-fields.js';

const H = 'dashboard.acme.test';
const ORIGIN = `http://${H}`;
const ACCOUNT = '/t/acme/account/sessions';
const USERS = '/t/acme/portal/access-management/users';
const SETTINGS = '/t/acme/portal/configuration/auth-settings';

const g = await startTestGateway();
t.teardown(g.stop);

const get = (path: string, jar?: CookieJar): Promise<Response> =>
  request(g.url, path, { headers: { host: H, accept: 'text/html', ...(jar ? { cookie: jar.header() } : {}) } });
const post = (
  path: string,
  jar: CookieJar | null,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> =>
  request(g.url, path, {
    method: 'POST',
    form,
    headers: { host: H, accept: 'text/html', origin: ORIGIN, ...(jar ? { cookie: jar.header() } : {}), ...headers },
  });

async function signedIn(user: 'alice' | 'bob'): Promise<CookieJar> {
  const { jar } = await login(g.url, { username: user, password: PASSWORDS[user] });
  if (!jar.get('gk_acme')) throw new Error(`login as ${user} failed`);
  return jar;
}
const sid = (jar: CookieJar): string => jar.get('gk_acme')!.split('.')[0]!;
const metaToken = (body: string): string => /<meta name="csrf-token" content="([^"]+)">/.exec(body)?.[1] ?? '';
async function tokenOf(jar: CookieJar): Promise<string> {
  const tok = metaToken((await get(ACCOUNT, jar)).body);
  if (!tok) throw new Error('no csrf meta');
  return tok;
}
async function alive(jar: CookieJar): Promise<boolean> {
  const r = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: jar.header() } });
  return r.status === 200;
}

t.test('signed out: pages redirect to login and come back; actions change nothing', async (t) => {
  for (const path of [ACCOUNT, `${USERS}?q=bob&page=1`, `${USERS}/u-bob`, `${USERS}/u-bob/revoke-all`, SETTINGS]) {
    const r = await get(path);
    t.equal(r.status, 302, `GET ${path}`);
    t.equal(r.headers.location, `/t/acme/login?rd=${encodeURIComponent(path)}`, `${path}: to login with rd`);
  }
  const bob = await signedIn('bob');
  const r = await post(`${USERS}/u-bob/revoke-all`, null, { csrf_token: 'x' });
  t.equal(r.status, 303, 'a POST without a session goes to login');
  t.match(r.headers.location, /^\/t\/acme\/login\?rd=/);
  t.ok(await alive(bob), 'and revoked nothing');
});

t.test('security headers and the CSRF token on every page and in every form', async (t) => {
  const alice = await signedIn('alice');
  const bob = await signedIn('bob');
  const pages: [string, CookieJar, number][] = [
    [ACCOUNT, alice, 200],
    [ACCOUNT, bob, 200],
    [USERS, alice, 200],
    [`${USERS}?q=b`, alice, 200],
    [`${USERS}/u-bob`, alice, 200],
    [`${USERS}/u-bob?tab=profile`, alice, 200],
    [`${USERS}/u-bob/revoke-all`, alice, 200],
    [SETTINGS, alice, 200],
    [USERS, bob, 403],
    [`${USERS}/u-alice`, bob, 403],
    [SETTINGS, bob, 403],
    [`${USERS}/nobody`, alice, 404],
  ];
  for (const [path, jar, status] of pages) {
    const r = await get(path, jar);
    t.equal(r.status, status, `${path} → ${status}`);
    const csp = String(r.headers['content-security-policy']);
    t.match(csp, /default-src 'none'/, `${path}: CSP`);
    t.match(csp, /frame-ancestors 'none'/, `${path}: frame-ancestors`);
    t.notMatch(csp, /unsafe-inline|unsafe-eval/, `${path}: no unsafe-*`);
    t.equal(r.headers['x-frame-options'], 'DENY', `${path}: X-Frame-Options`);
    // same-origin, not no-referrer: under no-referrer a browser's form POSTs carry `Origin: null`.
    t.equal(
      r.headers['referrer-policy'],
      'same-origin',
      `${path}: Referrer-Policy same-origin, so form POSTs carry their Origin`,
    );
    t.equal(r.headers['cache-control'], 'no-store', `${path}: no-store`);
    t.equal(r.headers['x-content-type-options'], 'nosniff', `${path}: nosniff`);
    t.notMatch(r.body, /<script|\sstyle=|\son[a-z]+=/i, `${path}: no inline script, style or handler`);
    const token = metaToken(r.body);
    t.ok(token, `${path}: <meta name="csrf-token">`);
    const forms = r.body.match(/<form\b[^>]*method="post"[\s\S]*?<\/form>/g) ?? [];
    t.ok(forms.length > 0, `${path}: has POST forms (at least Sign out)`);
    for (const f of forms)
      t.match(
        f,
        `<input type="hidden" name="csrf_token" value="${token}">`,
        `${path}: form ${/action="([^"]+)"/.exec(f)?.[1]} carries the token`,
      );
  }
});

t.test('my sessions: revoke another one, only with the token and from this site', async (t) => {
  const mine = await signedIn('bob');
  const other = await signedIn('bob');
  const alice = await signedIn('alice');
  const token = await tokenOf(mine);
  const path = `${ACCOUNT}/${sid(other)}/revoke`;

  const page = await get(ACCOUNT, mine);
  t.match(
    page.body,
    new RegExp(`<tr data-session-id="${sid(mine)}" class="current">[\\s\\S]*?This device`),
    'this device is marked',
  );
  t.match(page.body, `action="${path}"`, 'the other session has a revoke form');
  t.notMatch(page.body, `action="${ACCOUNT}/${sid(mine)}/revoke"`, 'this device has none');
  t.match(
    page.body,
    /<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z" title="[^"]+">just now<\/time>/,
    'times relative and exact',
  );

  const refused: [string, Record<string, string>, Record<string, string>][] = [
    ['no token', {}, {}],
    ['an empty token', { csrf_token: '' }, {}],
    ['a wrong token', { csrf_token: 'x'.repeat(43) }, {}],
    ["another session's token", { csrf_token: await tokenOf(other) }, {}],
    ['a cross-site Origin', { csrf_token: token }, { origin: 'http://evil.test' }],
    ['Origin null', { csrf_token: token }, { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { csrf_token: token }, { 'sec-fetch-site': 'cross-site' }],
  ];
  for (const [what, form, headers] of refused) {
    const r = await post(path, mine, form, headers);
    t.equal(r.status, 403, `${what}: 403`);
    hasCode(t, r, 'ERR_GK_CSRF', what);
    t.ok(await alive(other), `${what}: nothing changed`);
  }

  const done = await post(path, mine, { csrf_token: token });
  t.equal(done.status, 303);
  t.equal(done.headers.location, `${ACCOUNT}?done=revoked`, 'PRG back with a flash code');
  t.notOk(await alive(other), 'the other session is revoked');
  t.ok(await alive(mine), 'this one is not');
  t.match((await get(done.headers.location!, mine)).body, /<p class="flash ok" role="status">The session was revoked/);
  t.ok(
    g.logs.some((l) => l.includes('"audit":"session_revoked"') && l.includes(sid(other)) && l.includes('self_revoked')),
    'audited',
  );

  const self = await post(`${ACCOUNT}/${sid(mine)}/revoke`, mine, { csrf_token: token });
  t.equal(self.headers.location, `${ACCOUNT}?error=current-session`, 'this device ends with Sign out, not here');
  t.ok(await alive(mine));
  const foreign = await post(`${ACCOUNT}/${sid(alice)}/revoke`, mine, { csrf_token: token });
  t.equal(foreign.headers.location, `${ACCOUNT}?error=unknown-session`, "someone else's session is not mine");
  t.ok(await alive(alice), "alice's session is untouched");
  t.notMatch(
    (await get(`${ACCOUNT}?done=%3Cscript%3E&error=%3Cb%3E`, mine)).body,
    /<script>|<b>|class="flash/,
    'unknown flash codes show nothing',
  );
});

t.test('my sessions: sign out everywhere else', async (t) => {
  const mine = await signedIn('bob');
  const others = [await signedIn('bob'), await signedIn('bob')];
  const token = await tokenOf(mine);
  t.equal((await post(`${ACCOUNT}/revoke-others`, mine, {})).status, 403, 'no token: 403');
  t.equal(
    (await post(`${ACCOUNT}/revoke-others`, mine, { csrf_token: token }, { origin: 'https://evil.test' })).status,
    403,
    'cross-site: 403',
  );
  for (const o of others) t.ok(await alive(o), 'nothing changed');
  const r = await post(`${ACCOUNT}/revoke-others`, mine, { csrf_token: token });
  t.equal(r.status, 303);
  t.match(r.headers.location, new RegExp(`^${ACCOUNT}\\?done=revoked-others&n=\\d+$`));
  t.ok(Number(new URL(r.headers.location!, 'http://x').searchParams.get('n')) >= 2, 'the count comes back');
  for (const o of others) t.notOk(await alive(o), 'the others are signed out');
  t.ok(await alive(mine), 'this one is kept');
  t.match((await get(r.headers.location!, mine)).body, /Signed out \d+ other sessions\./);
});

t.test('portal: a non-admin gets 403 pages and cannot act', async (t) => {
  const bob = await signedIn('bob');
  const alice = await signedIn('alice');
  const token = await tokenOf(bob);
  const page = await get(USERS, bob);
  t.equal(page.status, 403);
  hasCode(t, page, 'ERR_GK_FORBIDDEN');
  t.match(page.body, /Access denied/);
  t.notMatch(page.body, `href="${USERS}"`, 'no portal links for him');
  for (const [path, form] of [
    [`${USERS}/u-alice/revoke-all`, { csrf_token: token }],
    [`${USERS}/u-alice/sessions/${sid(alice)}/revoke`, { csrf_token: token }],
    [SETTINGS, { csrf_token: token, idleTimeout: '1m' }],
  ] as const) {
    t.equal((await post(path, bob, form)).status, 403, `POST ${path}: 403 even with his valid token`);
  }
  t.ok(await alive(alice), "alice's session is untouched");
  t.equal(g.gw.deps.registry.tenants.get('acme')!.settings.idleTimeout, 1800, 'settings unchanged');
});

t.test('portal: users list, search and paging', async (t) => {
  const alice = await signedIn('alice');
  await signedIn('bob');
  const all = await get(USERS, alice);
  t.match(all.body, /Showing 1–2 of 2 users/);
  t.match(all.body, `href="${USERS}/u-bob"`, 'links to each user');
  t.match(all.body, /<th scope="col">Name<\/th>/, 'column headers with scope');
  const bob = await get(`${USERS}?q=BUILD`, alice);
  t.match(bob.body, /Showing 1–1 of 1 user matching “BUILD”/, 'case-insensitive search on the name');
  t.match(bob.body, /<td data-label="Active sessions" class="num">[1-9]\d*<\/td>/, 'with the active-session count');
  t.notMatch(bob.body, `href="${USERS}/u-alice"`);
  t.match((await get(`${USERS}?q=nobody`, alice)).body, /No user matches “nobody”/);
  for (const p of ['99', '-3', 'abc', '1e9'])
    t.equal((await get(`${USERS}?page=${p}`, alice)).status, 200, `page=${p} is clamped`);
  t.notMatch((await get(`${USERS}?q=globex`, alice)).body, /Other Alice/, "another tenant's users never show");
});

t.test('portal: revoke a session, and revoke all behind a confirmation', async (t) => {
  const alice = await signedIn('alice');
  const token = await tokenOf(alice);
  const bob1 = await signedIn('bob');
  const bob2 = await signedIn('bob');
  const bob3 = await signedIn('bob');

  const user = await get(`${USERS}/u-bob`, alice);
  for (const col of ['Device', 'IP address', 'Location', 'Last activity', 'Signed in'])
    t.match(user.body, `<th scope="col">${col}</th>`, `column ${col}`);
  t.match(user.body, `href="${USERS}/u-bob/revoke-all"`, 'revoke all is a link to the confirmation');

  const one = `${USERS}/u-bob/sessions/${sid(bob3)}/revoke`;
  t.equal((await post(one, alice, {})).status, 403, 'revoke one without a token: 403');
  t.ok(await alive(bob3));
  const r1 = await post(one, alice, { csrf_token: token });
  t.equal(r1.headers.location, `${USERS}/u-bob?done=revoked`);
  t.notOk(await alive(bob3), 'revoked');
  t.equal(
    (await post(one, alice, { csrf_token: token })).headers.location,
    `${USERS}/u-bob?error=unknown-session`,
    'twice: unknown',
  );

  // bob may have sessions from the tests above too: all of them go.
  const count = Number(/Sessions \((\d+)\)/.exec((await get(`${USERS}/u-bob`, alice)).body)?.[1]);
  t.ok(count >= 2, `bob has ${count} sessions`);
  const confirm = await get(`${USERS}/u-bob/revoke-all`, alice);
  t.match(confirm.body, `<strong>${count} active sessions</strong>`, 'the confirmation says how many');
  t.match(confirm.body, /Are you sure\?/);
  t.match(confirm.body, `<form method="post" action="${USERS}/u-bob/revoke-all">`);
  t.ok((await alive(bob1)) && (await alive(bob2)), 'showing the confirmation revokes nothing');

  const all = `${USERS}/u-bob/revoke-all`;
  t.equal((await post(all, alice, {})).status, 403, 'no token: 403');
  t.equal((await post(all, alice, { csrf_token: 'nope' })).status, 403, 'wrong token: 403');
  t.equal(
    (await post(all, alice, { csrf_token: token }, { origin: 'http://evil.test' })).status,
    403,
    'cross-site: 403',
  );
  t.equal(
    (await post(all, alice, { csrf_token: token }, { 'sec-fetch-site': 'cross-site' })).status,
    403,
    'Sec-Fetch-Site cross-site: 403',
  );
  t.ok((await alive(bob1)) && (await alive(bob2)), 'nothing changed');

  const r = await post(all, alice, { csrf_token: token });
  t.equal(r.status, 303);
  t.equal(r.headers.location, `${USERS}/u-bob?done=revoked-all&n=${count}`, 'PRG back to the user page');
  t.notOk(await alive(bob1));
  t.notOk(await alive(bob2));
  t.ok(await alive(alice), "the admin's own session is kept");
  const after = await get(r.headers.location!, alice);
  t.match(after.body, `Revoked ${count} sessions.`);
  t.match(after.body, /No active sessions/);
  t.ok(
    g.logs.some(
      (l) => l.includes('"audit":"session_revoked"') && l.includes(sid(bob1)) && l.includes('admin_revoked_all'),
    ),
    'audited',
  );

  const nobody = await get(`${USERS}/nobody`, alice);
  t.equal(nobody.status, 404, 'unknown user: 404 page');
  hasCode(t, nobody, 'ERR_GK_NOT_FOUND');
  t.equal(
    (await post(`${USERS}/nobody/revoke-all`, alice, { csrf_token: token })).headers.location,
    USERS,
    'unknown user action: back to the list',
  );
});

t.test('auth settings form: inline errors, PRG save, audit, only changes stored', async (t) => {
  const alice = await signedIn('alice');
  const token = await tokenOf(alice);
  const page = await get(SETTINGS, alice);
  t.match(
    page.body,
    /<label for="f-idleTimeout">Idle timeout<\/label><input id="f-idleTimeout" name="idleTimeout" type="text"[^>]* value="30m"/,
    'a labelled duration field',
  );
  t.match(page.body, /<select id="f-concurrentSessionPolicy" name="concurrentSessionPolicy"/, 'enums as selects');
  t.match(
    page.body,
    /<input id="f-rememberMe-enabled" name="rememberMe.enabled" type="checkbox" value="on" checked/,
    'rememberMe.enabled as a checkbox',
  );

  const api = async () =>
    (
      await request(g.url, '/t/acme/api/v1/configuration/auth-settings', {
        headers: { host: H, cookie: alice.header() },
      })
    ).json<{ settings: Record<string, unknown> }>().settings;
  let current = await api();
  const fields = (over: Record<string, string | null>): Record<string, string> => {
    const f: Record<string, string> = { csrf_token: token };
    for (const s of SETTINGS_FIELDS) {
      const v = s.path in over ? over[s.path] : valueAt(current, s.path);
      if (v !== null && !(s.kind === 'checkbox' && v === '')) f[s.path] = v!;
    }
    return f;
  };

  const bad = await post(
    SETTINGS,
    alice,
    fields({ idleTimeout: '5 minutes', sessionLifetime: '0s', maxConcurrentSessions: 'many', ipBinding: 'sometimes' }),
  );
  t.equal(bad.status, 422, 'invalid: 422');
  t.match(
    bad.body,
    /<input id="f-idleTimeout" name="idleTimeout" type="text"[^>]* value="5 minutes" aria-describedby="f-idleTimeout-error f-idleTimeout-hint" aria-invalid="true">/,
    'the submitted value is kept and marked',
  );
  t.match(
    bad.body,
    /<p class="field-error" id="f-idleTimeout-error">invalid duration &quot;5 minutes&quot;/,
    'the error next to its field',
  );
  t.match(bad.body, /id="f-sessionLifetime-error">must be at least 1s/);
  t.match(bad.body, /id="f-maxConcurrentSessions-error">must be a whole number/);
  t.match(bad.body, /id="f-ipBinding-error">invalid value &quot;sometimes&quot;/);
  t.match(bad.body, /Nothing was saved: 4 settings need fixing/);
  t.equal((await api()).idleTimeout, '30m', 'nothing saved');
  t.equal(bad.headers['content-security-policy'] !== undefined, true, 'the 422 page has the CSP too');

  const noToken = fields({ idleTimeout: '5m' });
  delete noToken.csrf_token;
  t.equal((await post(SETTINGS, alice, noToken)).status, 403, 'no token: 403');
  t.equal(
    (await post(SETTINGS, alice, fields({ idleTimeout: '5m' }), { origin: 'http://evil.test' })).status,
    403,
    'cross-site: 403',
  );
  t.equal((await api()).idleTimeout, '30m', 'nothing saved');

  const ok = await post(SETTINGS, alice, fields({ idleTimeout: '5m' }));
  t.equal(ok.status, 303);
  t.equal(ok.headers.location, `${SETTINGS}?done=saved&n=1`);
  t.equal((await api()).idleTimeout, '5m', 'saved and applied');
  t.equal(
    await g.gw.deps.store.getTenantSettings('acme'),
    JSON.stringify({ idleTimeout: 300 }),
    'only the changed field is stored',
  );
  const shown = await get(ok.headers.location!, alice);
  t.match(shown.body, /Saved: 1 setting changed\./);
  t.match(shown.body, /name="idleTimeout" type="text"[^>]* value="5m"/, 'the saved value is shown');
  t.ok(
    g.logs.some(
      (l) =>
        l.includes('"audit":"settings_changed"') && l.includes('"changed":["idleTimeout"]') && l.includes('u-alice'),
    ),
    'audited like the API',
  );

  current = await api();
  t.equal(
    (await post(SETTINGS, alice, fields({}))).headers.location,
    `${SETTINGS}?done=unchanged`,
    'no change: nothing saved',
  );
  const off = await post(SETTINGS, alice, fields({ 'rememberMe.enabled': null, 'cookie.domain': '' }));
  t.equal(off.headers.location, `${SETTINGS}?done=saved&n=1`, 'unchecking the checkbox is a change');
  t.equal(((await api()).rememberMe as { enabled: boolean }).enabled, false);
  t.notMatch((await get('/t/acme/login')).body, /remember_me/, 'the login page no longer offers remember me');
  current = await api();
  const undo = await post(SETTINGS, alice, fields({ 'rememberMe.enabled': 'on', idleTimeout: '30m' }));
  t.equal(undo.headers.location, `${SETTINGS}?done=saved&n=2`);
});
