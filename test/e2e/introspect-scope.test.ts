// RFC 7662 introspection as SPEC §5 says: a client learns about tokens issued to itself,
// or about any token of its tenant when it holds the scope `tokens:introspect`; anything
// else answers only {"active": false}, exactly like an inactive token.
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS, SECRETS } from '../helpers/gateway.js';

const DASH = 'dashboard.acme.test';
const SPA_REDIRECT = 'http://app.acme.test/callback';
const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const OTHER = basic('other-client', SECRETS.other);
const BILLING = basic('billing-service', SECRETS.billing);
const RESOURCE = basic('resource-server', SECRETS.other);

const g = await startTestGateway();
t.teardown(g.stop);

interface Tokens {
  access_token: string;
  refresh_token?: string;
}

function post(path: string, form: Record<string, string>, authorization?: string): Promise<Response> {
  return request(g.url, `/t/acme/api/v1/oauth/${path}`, {
    method: 'POST',
    headers: { host: DASH, ...(authorization ? { authorization } : {}) },
    form,
  });
}

async function introspect(token: string, authorization: string): Promise<Record<string, unknown>> {
  const res = await post('introspect', { token }, authorization);
  if (res.status !== 200) throw new Error(`introspect: ${res.status} ${res.body}`);
  return res.json<Record<string, unknown>>();
}

/** Authorization code + PKCE for the public web-spa, by hand: an access and a refresh token. */
async function spaTokens(): Promise<Tokens> {
  const { jar } = await login(g.url, { username: 'alice', password: PASSWORDS.alice });
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: 'web-spa',
    redirect_uri: SPA_REDIRECT,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const auth = await request(g.url, `/t/acme/oauth/authorize?${q}`, {
    headers: { host: DASH, accept: 'text/html', cookie: jar.header() },
  });
  const code = new URL(String(auth.headers.location)).searchParams.get('code');
  if (!code) throw new Error(`authorize: ${auth.status}`);
  const res = await post('token', {
    grant_type: 'authorization_code',
    code,
    redirect_uri: SPA_REDIRECT,
    code_verifier: verifier,
    client_id: 'web-spa',
  });
  if (res.status !== 200) throw new Error(`exchange: ${res.status} ${res.body}`);
  return res.json<Tokens>();
}

async function clientToken(authorization: string): Promise<string> {
  const res = await post('token', { grant_type: 'client_credentials' }, authorization);
  if (res.status !== 200) throw new Error(`client_credentials: ${res.status} ${res.body}`);
  return res.json<Tokens>().access_token;
}

t.test('another client without tokens:introspect learns nothing; its own tokens and the scope holder do', async (t) => {
  const spa = await spaTokens();
  const billing = await clientToken(BILLING);

  t.same(
    await introspect(spa.access_token, OTHER),
    { active: false },
    "other-client asks about web-spa's access token: only active:false",
  );
  t.same(await introspect(spa.refresh_token!, OTHER), { active: false }, "nor about web-spa's refresh token");
  t.same(await introspect(billing, OTHER), { active: false }, "nor about billing-service's token");
  t.same(
    await introspect(spa.access_token, BILLING),
    { active: false },
    'nor does billing-service (its sessions:admin scope is not tokens:introspect)',
  );

  t.match(
    await introspect(billing, BILLING),
    { active: true, client_id: 'billing-service', sub: 'billing-service' },
    'a client learns about its own token',
  );

  const byScope = await introspect(spa.access_token, RESOURCE);
  t.match(
    byScope,
    { active: true, client_id: 'web-spa', sub: 'u-alice', token_type: 'Bearer' },
    'the holder of tokens:introspect learns about any token of the tenant',
  );
  t.match(await introspect(spa.refresh_token!, RESOURCE), {
    active: true,
    client_id: 'web-spa',
    token_type: 'refresh_token',
  });
  t.match(await introspect(billing, RESOURCE), { active: true, client_id: 'billing-service' });
  t.same(
    await introspect('not-a-token', RESOURCE),
    { active: false },
    'an unknown token: the same answer as a foreign one',
  );
});

t.test("a client's own refresh token (code flow for other-client)", async (t) => {
  const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = 'http://other.acme.test/cb';
  const q = new URLSearchParams({
    client_id: 'other-client',
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const auth = await request(g.url, `/t/acme/oauth/authorize?${q}`, {
    headers: { host: DASH, accept: 'text/html', cookie: jar.header() },
  });
  const code = new URL(String(auth.headers.location)).searchParams.get('code')!;
  const tokens = (
    await post(
      'token',
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
      OTHER,
    )
  ).json<Tokens>();
  t.match(
    await introspect(tokens.refresh_token!, OTHER),
    { active: true, client_id: 'other-client', sub: 'u-bob' },
    'its own refresh token',
  );
  t.match(
    await introspect(tokens.access_token, OTHER),
    { active: true, client_id: 'other-client' },
    'its own access token',
  );
  t.same(await introspect(tokens.access_token, BILLING), { active: false }, 'not for billing-service');
});
