// Attacks on the sign-in through an identity provider (SPEC §12), against a real OP: a
// forged, reused or foreign `state`, a callback without the flow cookie, and ID tokens
// rewritten on their way from the OP's token endpoint (a MITM on the token response):
// wrong nonce, another issuer, another audience, expired, `alg: none`, HS256 keyed with
// the OP's public key, another key under the OP's kid. Each answers a 4xx page and creates
// no session; a control shows the same rewriting with nothing changed is accepted.
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import t, { type Test } from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { hasCode } from '../helpers/error-code.js';
import { callbackAt, oidcSignIn, startOidc } from '../helpers/oidc.js';
import { signInAtOp, type TokenResponse } from '../helpers/op.js';

const s = await startOidc();
t.teardown(s.stop);
const other = await generateKeyPair('RS256');

async function sessions(user = 'corp:carol'): Promise<number> {
  return (await s.g.gw.deps.store.listUserSessions('acme', user, s.g.clock.now())).length;
}

function refusedPage(t: Test, res: Response, code: string, status = 400): void {
  t.equal(res.status, status, `answered ${status}`);
  hasCode(t, res, code);
  t.match(res.headers['content-type'], /text\/html/);
  t.notOk(
    res.setCookies.some((c) => /^gk_acme=[^;]/.test(c)),
    'no session cookie',
  );
}

/** The flow up to the OP's redirect back: the start's jar (with the flow cookie) and the callback URL. */
async function atCallback(login = 'carol'): Promise<{ jar: CookieJar; callback: URL }> {
  const jar = new CookieJar();
  const start = await request(s.g.url, '/t/acme/login/corp?rd=/reports', {
    headers: { host: s.appHost, accept: 'text/html' },
  });
  jar.take(start);
  const { callback } = await signInAtOp(String(start.headers.location), login);
  return { jar, callback };
}

const claimsOf = (jwt: string): JWTPayload =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as JWTPayload;
const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Signs in with the OP's token response rewritten by `rewrite`; the ID token's claims are the OP's. */
async function withIdToken(
  rewrite: (claims: JWTPayload, original: string) => Promise<string | undefined>,
): Promise<Response> {
  s.op.tamperTokenResponse = async (body: TokenResponse) => {
    const id = await rewrite(claimsOf(body.id_token!), body.id_token!);
    const { id_token: _dropped, ...rest } = body;
    return id === undefined ? rest : { ...rest, id_token: id };
  };
  try {
    return (await oidcSignIn(s, 'carol')).res;
  } finally {
    s.op.tamperTokenResponse = null;
  }
}

t.test('control: the OP-signed ID token re-signed unchanged by the same MITM is accepted', async (t) => {
  const before = await sessions();
  const res = await withIdToken((c) => s.op.sign(c));
  t.equal(res.status, 302, res.body.slice(0, 300));
  t.equal(await sessions(), before + 1, 'a session');
});

const now = (): number => Math.floor(Date.now() / 1000);
// What the relying party (oauth4webapi under openid-client) names each refusal; the audit keeps it.
const tampered: [string, RegExp, (c: JWTPayload, original: string) => Promise<string | undefined>][] = [
  ['a wrong nonce', /CLAIM_COMPARISON_FAILED/, (c) => s.op.sign({ ...c, nonce: 'attacker-nonce' })],
  ['no nonce', /INVALID_RESPONSE/, (c) => s.op.sign({ ...c, nonce: undefined })],
  ['another issuer', /CLAIM_COMPARISON_FAILED/, (c) => s.op.sign({ ...c, iss: 'http://127.0.0.1:1/evil' })],
  ['another audience', /CLAIM_COMPARISON_FAILED/, (c) => s.op.sign({ ...c, aud: 'some-other-client' })],
  ['expired', /TIMESTAMP_CHECK_FAILED/, (c) => s.op.sign({ ...c, iat: now() - 7200, exp: now() - 3600 })],
  ['alg none', /INVALID_RESPONSE/, async (c) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(c)}.`],
  [
    'HS256 keyed with the OP public key',
    /INVALID_RESPONSE/,
    async (c) => {
      const secret = new TextEncoder().encode(JSON.stringify(s.op.key.publicJwk));
      return new SignJWT(c).setProtectedHeader({ alg: 'HS256', kid: s.op.key.kid }).sign(secret);
    },
  ],
  ['another key under the OP kid', /INVALID_RESPONSE/, (c) => s.op.sign(c, { key: other.privateKey })],
  [
    'another key under an unknown kid',
    /KEY_SELECTION_FAILED/,
    (c) => s.op.sign(c, { key: other.privateKey, kid: 'attacker-kid' }),
  ],
  [
    'a flipped signature',
    /INVALID_RESPONSE/,
    async (_c, original) => original.slice(0, -6) + (original.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'),
  ],
  ['no ID token at all', /INVALID_RESPONSE/, async () => undefined],
];

/** The reason of the last refused sign-in in the audit log. */
function lastRefusal(): string {
  for (const line of [...s.g.logs].reverse()) {
    const o = JSON.parse(line) as Record<string, unknown>;
    if (o.audit === 'login_failed') return String(o.reason);
  }
  return '';
}

for (const [name, reason, rewrite] of tampered) {
  t.test(`an ID token with ${name}: 400, no session`, async (t) => {
    const before = await sessions();
    const res = await withIdToken(rewrite);
    refusedPage(t, res, 'ERR_GK_IDP_BAD_RESPONSE');
    t.match(res.body, /Sign-in failed/);
    t.equal(await sessions(), before, 'no session in the store');
    t.match(lastRefusal(), reason, `refused by the ID token check (${String(reason)})`);
  });
}

t.test(
  'the callback replayed (same browser, or with the flow cookie it had): refused, no second session',
  async (t) => {
    const { jar, callback } = await atCallback();
    const flowCookie = jar.header();
    const before = await sessions();
    const first = await callbackAt(s.g, callback, jar);
    t.equal(first.status, 302, 'the first use signs in');
    t.equal(await sessions(), before + 1);
    const again = await callbackAt(s.g, callback, jar);
    refusedPage(t, again, 'ERR_GK_IDP_FLOW_EXPIRED');
    t.match(again.body, /Sign-in expired/);
    const withOldFlow = await callbackAt(
      s.g,
      callback,
      new CookieJar().take({ setCookies: [flowCookie.replace(/; /g, '\n')] } as Response),
    );
    refusedPage(t, withOldFlow, 'ERR_GK_IDP_FLOW_EXPIRED');
    t.equal(await sessions(), before + 1, 'still one');
  },
);

t.test('a forged state: refused; the flow is used up', async (t) => {
  const { jar, callback } = await atCallback();
  const before = await sessions();
  const forged = new URL(callback);
  forged.searchParams.set('state', 'A'.repeat(43));
  refusedPage(t, await callbackAt(s.g, forged, jar), 'ERR_GK_IDP_BAD_RESPONSE');
  t.equal(await sessions(), before);
  refusedPage(t, await callbackAt(s.g, callback, jar), 'ERR_GK_IDP_FLOW_EXPIRED');
  t.equal(await sessions(), before, 'the genuine callback after it finds no flow either');
});

t.test("an attacker's code and state in the victim's browser (login CSRF / code injection): refused", async (t) => {
  const attacker = await atCallback('dave');
  const victim = await atCallback('carol');
  const before = await sessions('corp:dave');
  const res = await callbackAt(s.g, attacker.callback, victim.jar);
  refusedPage(t, res, 'ERR_GK_IDP_BAD_RESPONSE');
  t.equal(await sessions('corp:dave'), before, 'the victim is not signed in as the attacker');
});

t.test('a callback without the flow cookie: refused, and the genuine one still works', async (t) => {
  const { jar, callback } = await atCallback();
  const before = await sessions();
  const bare = await callbackAt(s.g, callback, new CookieJar());
  refusedPage(t, bare, 'ERR_GK_IDP_FLOW_EXPIRED');
  t.match(bare.body, /not started in this browser/);
  const garbage = await request(s.g.url, callback.pathname + callback.search, {
    headers: { host: s.appHost, accept: 'text/html', cookie: 'gk_acme_oidc=%00%ff' },
  });
  refusedPage(t, garbage, 'ERR_GK_IDP_FLOW_EXPIRED');
  t.equal(await sessions(), before);
  const ok = await callbackAt(s.g, callback, jar);
  t.equal(ok.status, 302, 'the code was never redeemed');
});

t.test("an IdP error with someone else's state, or markup in it: 400, escaped", async (t) => {
  const { jar } = await atCallback();
  const q = new URLSearchParams({ error: '<script>alert(1)</script>', state: 'not-the-state' });
  const res = await request(s.g.url, `/t/acme/oidc/corp/callback?${q}`, {
    headers: { host: s.appHost, accept: 'text/html', cookie: jar.header() },
  });
  refusedPage(t, res, 'ERR_GK_IDP_BAD_RESPONSE');
  t.notMatch(res.body, /<script>alert/);
  const flow = await atCallback();
  const q2 = new URLSearchParams({
    error: '<img src=x onerror=alert(1)>',
    state: flow.callback.searchParams.get('state')!,
  });
  const res2 = await request(s.g.url, `/t/acme/oidc/corp/callback?${q2}`, {
    headers: { host: s.appHost, accept: 'text/html', cookie: flow.jar.header() },
  });
  refusedPage(t, res2, 'ERR_GK_IDP_REFUSED');
  t.match(res2.body, /did not sign you in \(&lt;img/);
  t.notMatch(res2.body, /<img src=x/);
});

t.test('unknown providers and the callback of another tenant: 404, no crash', async (t) => {
  const { jar, callback } = await atCallback();
  const res = await request(s.g.url, `/t/acme/oidc/nope/callback${callback.search}`, {
    headers: { host: s.appHost, accept: 'text/html', cookie: jar.header() },
  });
  t.equal(res.status, 404);
  hasCode(t, res, 'ERR_GK_NOT_FOUND');
  const globex = await request(s.g.url, `/t/globex/oidc/corp/callback${callback.search}`, {
    headers: { host: s.appHost, accept: 'text/html', cookie: jar.header() },
  });
  t.equal(globex.status, 404);
  hasCode(t, globex, 'ERR_GK_NOT_FOUND');
  t.equal(
    (await request(s.g.url, '/t/acme/login/nope', { headers: { host: s.appHost, accept: 'text/html' } })).status,
    404,
  );
});

t.test('userinfo answering for another subject: 400, no session', async (t) => {
  // The OP puts the profile claims only in userinfo (its conformIdTokenClaims default), so the gateway asks it.
  const before = await sessions();
  const daves = await sessions('corp:dave');
  s.op.tamperUserinfo = (body) => ({ ...body, sub: 'dave' });
  t.teardown(() => void (s.op.tamperUserinfo = null));
  const res = (await oidcSignIn(s, 'carol')).res;
  refusedPage(t, res, 'ERR_GK_IDP_BAD_RESPONSE');
  t.match(lastRefusal(), /JSON_ATTRIBUTE_COMPARISON_FAILED/, 'refused for the sub mismatch');
  t.equal(await sessions(), before);
  t.equal(await sessions('corp:dave'), daves, 'nor as the other subject');
});
