// RFC 6749 §4.1.2 / §10.5: an authorization code presented a second time is refused and
// the tokens issued for its first redemption are revoked (audited); a code that was never
// redeemed (expired, or burnt by a failed attempt) revokes nothing; the marker of a
// redemption is one-time and per tenant. A replay that races the first redemption — arrives
// while it is still issuing its tokens — still leaves no usable token (SPEC §4).
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS, SECRETS } from '../helpers/gateway.js';
import type { SessionStore } from '../../src/store/types.js';
import { hasCode } from '../helpers/error-code.js';

const DASH = 'dashboard.acme.test';
const REDIRECT = 'http://other.acme.test/cb';
const BASIC = `Basic ${Buffer.from(`other-client:${SECRETS.other}`).toString('base64')}`;

const g = await startTestGateway();
t.teardown(g.stop);

interface Tokens {
  access_token: string;
  refresh_token: string;
}

function tokenRequest(form: Record<string, string>): Promise<Response> {
  return request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: { host: DASH, authorization: BASIC },
    form,
  });
}

/** Logs in and authorizes other-client with PKCE; the code is not exchanged yet. */
async function authorize(): Promise<{ code: string; verifier: string }> {
  const { jar } = await login(g.url, { username: 'alice', password: PASSWORDS.alice });
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: 'other-client',
    redirect_uri: REDIRECT,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const auth = await request(g.url, `/t/acme/oauth/authorize?${q}`, {
    headers: { host: DASH, accept: 'text/html', cookie: jar.header() },
  });
  const code = new URL(String(auth.headers.location)).searchParams.get('code');
  if (!code) throw new Error(`authorize: ${auth.status}`);
  return { code, verifier };
}

const exchange = (code: string, verifier: string): Promise<Response> =>
  tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
const atApp = async (accessToken: string): Promise<number> =>
  (
    await request(g.url, '/reports', {
      headers: { host: DASH, accept: 'application/json', authorization: `Bearer ${accessToken}` },
    })
  ).status;
const audits = (name: string): Record<string, unknown>[] =>
  g.logs.filter((l) => l.includes(`"audit":"${name}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);

t.test('a replayed code is refused and revokes the tokens of its first redemption', async (t) => {
  const { code, verifier } = await authorize();
  const first = await exchange(code, verifier);
  t.equal(first.status, 200, 'first redemption');
  const tokens = first.json<Tokens>();
  t.equal(await atApp(tokens.access_token), 200, 'its access token works');
  const sid = tokens.refresh_token.split('.')[0]!;

  const replay = await exchange(code, verifier);
  t.equal(replay.status, 400);
  t.equal(replay.json().error, 'invalid_grant', 'the replay gets invalid_grant');
  hasCode(t, replay, 'ERR_GK_OAUTH_INVALID_GRANT');
  t.notOk(replay.json().access_token, 'and no tokens');

  t.equal(await atApp(tokens.access_token), 401, 'the first access token is dead at once');
  t.equal(
    (await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).json().error,
    'invalid_grant',
    'so is the refresh token',
  );
  t.match(
    audits('session_revoked').at(-1),
    { tenant: 'acme', userId: 'u-alice', sessionId: sid, reason: 'code_reuse' },
    'audited',
  );

  const again = await exchange(code, verifier);
  t.equal(again.json().error, 'invalid_grant', 'a third try: still invalid_grant');
  hasCode(t, again, 'ERR_GK_OAUTH_INVALID_GRANT');
});

t.test('a code burnt by a failed attempt, or expired, revokes nothing', async (t) => {
  const other = await authorize();
  const ok = (await exchange(other.code, other.verifier)).json<Tokens>();

  const { code, verifier } = await authorize();
  const wrongVerifier = await exchange(code, randomBytes(32).toString('base64url'));
  t.equal(wrongVerifier.json().error, 'invalid_grant', 'PKCE failure burns the code');
  hasCode(t, wrongVerifier, 'ERR_GK_OAUTH_INVALID_GRANT');
  const before = audits('session_revoked').length;
  t.equal(
    (await exchange(code, verifier)).json().error,
    'invalid_grant',
    'the right verifier afterwards: invalid_grant',
  );
  t.equal(audits('session_revoked').length, before, 'nothing revoked: nothing was issued for that code');

  const late = await authorize();
  g.clock.advance(61_000);
  t.equal((await exchange(late.code, late.verifier)).json().error, 'invalid_grant', 'expired');
  t.equal(audits('session_revoked').length, before, 'nothing revoked');
  t.equal(await atApp(ok.access_token), 200, "another redemption's tokens are untouched");
});

t.test('a malformed code is refused before any lookup', async (t) => {
  for (const code of ['', 'x', 'A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}\u0000`]) {
    const res = await exchange(code, randomBytes(32).toString('base64url'));
    t.equal(res.status, 400, JSON.stringify(code));
    t.equal(res.json().error, 'invalid_grant');
    hasCode(t, res, 'ERR_GK_OAUTH_INVALID_GRANT');
  }
});

/** Whether tokens handed out by a redemption can still be used (at the app, or to refresh). */
async function usable(res: Response): Promise<boolean> {
  if (res.status !== 200) return false;
  const tokens = res.json<Tokens>();
  const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  return (await atApp(tokens.access_token)) !== 401 || refreshed.status === 200;
}

/**
 * The gateway's store, with the first call of `op` made after arming held until release():
 * the first redemption stops there while the replay runs through.
 */
function holdFirst(op: keyof SessionStore): { reached: Promise<void>; release: () => void; restore: () => void } {
  const real = g.gw.deps.store;
  let armed = true;
  let reachedIt!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (reachedIt = r));
  const released = new Promise<void>((r) => (release = r));
  g.gw.deps.store = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const call = (args: unknown[]): unknown => (value as (...a: unknown[]) => unknown).apply(target, args);
      if (prop !== op) return (...args: unknown[]) => call(args);
      return async (...args: unknown[]) => {
        if (armed) {
          armed = false;
          reachedIt();
          await released;
        }
        return call(args);
      };
    },
  });
  return { reached, release, restore: () => void (g.gw.deps.store = real) };
}

// The first redemption takes the code, reads the login session, creates the token session,
// saves its refresh chain, then answers: the replay arrives at each of those points.
for (const op of ['getSession', 'createSession', 'saveRefreshChain'] as const) {
  t.test(`a replay while the first redemption is held at ${op}: no usable token, audited`, async (t) => {
    const { code, verifier } = await authorize();
    const codeReuse = (): number => audits('session_revoked').filter((e) => e.reason === 'code_reuse').length;
    const before = codeReuse();
    const hold = holdFirst(op);
    t.teardown(hold.restore);
    const first = exchange(code, verifier);
    await hold.reached;
    const replay = await exchange(code, verifier);
    t.equal(replay.status, 400);
    t.equal(replay.json().error, 'invalid_grant', 'the replay gets invalid_grant');
    hasCode(t, replay, 'ERR_GK_OAUTH_INVALID_GRANT');
    hold.release();
    const res = await first;
    hold.restore();
    t.ok(
      res.status === 200 || res.json().error === 'invalid_grant',
      `the first redemption: 200 or invalid_grant (${res.status})`,
    );
    t.notOk(await usable(res), 'whatever it was given is dead');
    t.equal(codeReuse(), before + 1, 'its session is audited once as ended by code_reuse');
  });
}

t.test(
  '10 codes, each redeemed twice at once: at most one of each pair gets tokens, and none stay usable',
  async (t) => {
    const codes = await Promise.all(Array.from({ length: 10 }, () => authorize()));
    const pairs = await Promise.all(
      codes.map(({ code, verifier }) => Promise.all([exchange(code, verifier), exchange(code, verifier)])),
    );
    for (const [x, y] of pairs) {
      t.ok(x.status !== 200 || y.status !== 200, 'never two successes');
      t.notOk((await usable(x)) || (await usable(y)), 'no usable token');
    }
  },
);
