// A real OpenID Provider for the identity-provider tests (SPEC §12): panva's oidc-provider
// (a certified OP) on a free loopback port, with one confidential client for the gateway,
// PKCE required, its own dev login and consent pages, back-channel and RP-initiated logout.
// Tests reach into it the ways a real IdP, or an attacker, could act: sign logout tokens with
// its key, rewrite its token response on the wire, end its sessions, stop and restart it.
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { CookieJar, request, type Response } from './http.js';
import { freePort } from './net.js';

export const OP_CLIENT = { id: 'gatekeeper', secret: 'corp-client-secret' } as const;
export const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** A person at the IdP: the claims its ID token / userinfo carry (besides sub = the key). */
export interface OpAccount {
  preferred_username?: string;
  email?: string;
  name?: string;
  groups?: string[];
}

/** carol administers (her group maps to the tenant's admin role); dave has no groups. */
export const OP_ACCOUNTS: Readonly<Record<string, OpAccount>> = {
  carol: {
    preferred_username: 'carol',
    email: 'carol@corp.test',
    name: 'Carol Corp',
    groups: ['corp-admins', 'staff'],
  },
  dave: { preferred_username: 'dave', email: 'dave@corp.test', name: 'Dave Corp', groups: [] },
};

/** One back-channel logout POST the OP made: when it left (performance.now()), its answer. */
export interface BackchannelCall {
  url: string;
  logoutToken: string;
  sentAt: number;
  status: number;
  answeredAt: number;
  /** The answer's Cache-Control and body. */
  cacheControl: string | null;
  body: string;
}

export type TokenResponse = Record<string, unknown> & { id_token?: string };

export interface TestOp {
  issuer: string;
  port: number;
  provider: Provider;
  /** The OP's signing key (RS256): what it signs ID and logout tokens with. */
  key: { privateKey: CryptoKey; publicJwk: JWK; kid: string };
  /** When set, rewrites the token endpoint's JSON answer before it leaves the OP (a MITM on the token response). */
  tamperTokenResponse: ((body: TokenResponse) => TokenResponse | Promise<TokenResponse>) | null;
  /** Likewise for the userinfo endpoint's JSON answer. */
  tamperUserinfo: ((body: Record<string, unknown>) => Record<string, unknown>) | null;
  /** Every back-channel logout POST made so far, in order. */
  readonly backchannelCalls: readonly BackchannelCall[];
  /** Resolves with the next back-channel logout POST once it was answered. */
  nextBackchannel(): Promise<BackchannelCall>;
  /** Signs a token with the OP's key (or `key`), with `header` fields added (alg defaults to RS256). */
  sign(payload: JWTPayload, opts?: { key?: CryptoKey; kid?: string; alg?: string; typ?: string }): Promise<string>;
  /** A well-formed logout token for the gateway client (iss, aud, iat, jti, events) with `claims` added or overriding. */
  logoutToken(claims: JWTPayload, opts?: { key?: CryptoKey; kid?: string }): Promise<string>;
  /**
   * Ends the OP session the jar holds, as its logout page would (GET end_session, then the
   * confirm form with logout=yes): the OP sends back-channel logout to each client of it.
   */
  endSession(jar: CookieJar): Promise<Response>;
  /** Stops listening (connections cut): the IdP is down. */
  stop(): Promise<void>;
  /** Listens again on the same port, with its sessions and keys. */
  restart(): Promise<void>;
}

export interface StartOpOptions {
  /** The gateway's publicUrl (and any other origins users sign in from): callbacks and post-logout URIs. */
  gatewayOrigins: readonly string[];
  /** Where the OP posts logout tokens (default: the first origin's corp endpoint). */
  backchannelLogoutUri?: string;
  accounts?: Readonly<Record<string, OpAccount>>;
  /** Listen on this port (default: a free one). */
  port?: number;
  slug?: string;
  provider?: string;
}

export async function startOp(o: StartOpOptions): Promise<TestOp> {
  const slug = o.slug ?? 'acme';
  const idp = o.provider ?? 'corp';
  const accounts = o.accounts ?? OP_ACCOUNTS;
  const port = o.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;

  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'op-key-1';
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };

  const calls: BackchannelCall[] = [];
  const events = new EventEmitter();

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: OP_CLIENT.id,
        client_secret: OP_CLIENT.secret,
        redirect_uris: o.gatewayOrigins.map((g) => `${g}/t/${slug}/oidc/${idp}/callback`),
        post_logout_redirect_uris: o.gatewayOrigins.map((g) => `${g}/t/${slug}/login`),
        backchannel_logout_uri:
          o.backchannelLogoutUri ?? `${o.gatewayOrigins[0]}/t/${slug}/oidc/${idp}/backchannel-logout`,
        backchannel_logout_session_required: true,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [privateJwk] },
    cookies: { keys: ['test-op-cookie-key-0123456789abcdef'] },
    claims: { openid: ['sub'], email: ['email'], profile: ['name', 'preferred_username', 'groups'] },
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    // Explicit lifetimes (seconds), as a real deployment sets them (and the OP stops printing notices).
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      const a = accounts[sub];
      if (!a) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...a }) };
    },
    // oidc-provider refuses special-use addresses (loopback included) for its outgoing calls,
    // an SSRF guard, by passing its own dispatcher. The gateway under test is on 127.0.0.1:
    // for that address alone the guard's dispatcher is dropped; anything else keeps it.
    fetch: async (url: string | URL | Request, init?: RequestInit) => {
      const u = new URL(url instanceof Request ? url.url : url);
      if (u.hostname !== '127.0.0.1') return fetch(url, init);
      const { dispatcher: _guard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      const body = rest.body instanceof URLSearchParams ? rest.body : null;
      const logoutToken = body?.get('logout_token') ?? null;
      const sentAt = performance.now();
      const res = await fetch(url, rest);
      if (logoutToken !== null) {
        const answeredAt = performance.now();
        const text = await res.clone().text();
        const call = {
          url: u.href,
          logoutToken,
          sentAt,
          status: res.status,
          answeredAt,
          cacheControl: res.headers.get('cache-control'),
          body: text,
        };
        calls.push(call);
        events.emit('backchannel', call);
      }
      return res;
    },
  });
  provider.proxy = false;
  // A failed back-channel call must show in the test output, not vanish.
  provider.on('backchannel.error', (_ctx: unknown, err: Error) =>
    console.error(`test OP: back-channel logout failed: ${err.message}`),
  );

  const op: TestOp = {
    issuer,
    port,
    provider,
    key: { privateKey, publicJwk, kid },
    tamperTokenResponse: null,
    tamperUserinfo: null,
    backchannelCalls: calls,
    nextBackchannel: () => once(events, 'backchannel').then(([c]) => c as BackchannelCall),
    sign: (payload, s = {}) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: s.alg ?? 'RS256', kid: s.kid ?? kid, ...(s.typ ? { typ: s.typ } : {}) })
        .sign(s.key ?? privateKey),
    logoutToken: (claims, s = {}) =>
      op.sign(
        {
          iss: issuer,
          aud: OP_CLIENT.id,
          iat: Math.floor(Date.now() / 1000),
          jti: `jti-${Math.random().toString(36).slice(2)}`,
          events: { [LOGOUT_EVENT]: {} },
          ...claims,
        },
        { ...s, typ: 'logout+jwt' },
      ),
    endSession: async (jar) => {
      const page = await request(issuer, '/session/end', { headers: { cookie: jar.header() } });
      jar.take(page);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1];
      if (page.status !== 200 || !xsrf) throw new Error(`OP end_session: ${page.status} ${page.body.slice(0, 200)}`);
      const done = await request(issuer, '/session/end/confirm', {
        method: 'POST',
        form: { xsrf, logout: 'yes' },
        headers: { cookie: jar.header() },
      });
      jar.take(done);
      return done;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    restart: async () => {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
  };

  // The MITM: the token and userinfo endpoints' JSON bodies, rewritten after the OP produced them.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status !== 200 || typeof ctx.body !== 'object' || ctx.body === null) return;
    if (op.tamperTokenResponse && ctx.path === '/token' && ctx.method === 'POST')
      ctx.body = await op.tamperTokenResponse(ctx.body as TokenResponse);
    if (op.tamperUserinfo && ctx.path === '/me') ctx.body = op.tamperUserinfo(ctx.body as Record<string, unknown>);
  });

  const server = http.createServer(provider.callback());
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return op;
}

export interface OpSignIn {
  /** The URL the OP sent the browser back to (the gateway's callback with code, state, iss). */
  callback: URL;
  /** The OP's cookies (its session): for endSession, or a second sign-in without a password. */
  opJar: CookieJar;
  /** The OP asked for the password (no SSO session, or prompt=login / max_age). */
  sawLogin: boolean;
}

/**
 * Plays the browser at the OP: from the authorization URL, through its dev login form (any
 * password) and consent form, to the redirect back to the gateway. A form is submitted only
 * when the OP shows it, so an SSO session or a remembered consent pass through. With
 * `cancel`, the user presses the login page's Cancel link instead (error=access_denied).
 */
export async function signInAtOp(
  authorizeUrl: string,
  login: string,
  opJar = new CookieJar(),
  o: { cancel?: boolean } = {},
): Promise<OpSignIn> {
  let url = new URL(authorizeUrl);
  const origin = url.origin;
  let sawLogin = false;
  for (let hop = 0; hop < 12; hop++) {
    if (url.origin !== origin) return { callback: url, opJar, sawLogin };
    let res = await request(origin, url.pathname + url.search, {
      headers: { cookie: opJar.header(), accept: 'text/html' },
    });
    opJar.take(res);
    if (res.status === 200) {
      const action = /<form[^>]* action="([^"]+)"/.exec(res.body)?.[1];
      if (!action) throw new Error(`OP page without a form at ${url.href}: ${res.body.slice(0, 300)}`);
      const isLogin = /name="prompt" value="login"/.test(res.body);
      sawLogin ||= isLogin;
      const cancel = /<a href="([^"]+\/abort)"/.exec(res.body)?.[1];
      if (o.cancel && cancel) res = await request(origin, cancel, { headers: { cookie: opJar.header() } });
      else
        res = await request(origin, action, {
          method: 'POST',
          form: isLogin ? { prompt: 'login', login, password: 'any-password' } : { prompt: 'consent' },
          headers: { cookie: opJar.header() },
        });
      opJar.take(res);
    }
    const location = res.headers.location;
    if (res.status < 300 || res.status > 399 || !location)
      throw new Error(`OP answered ${res.status} at ${url.href}: ${res.body.slice(0, 300)}`);
    url = new URL(location, origin);
  }
  throw new Error('too many redirects at the OP');
}
