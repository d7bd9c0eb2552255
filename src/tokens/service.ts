// The token life cycle as operations on the store: session tokens for single-page apps,
// the authorization-code and refresh grants (rotation, grace, reuse detection), client
// credentials. Transport-free; handlers turn OAuthError into RFC 6749 §5.2 answers.
import { userOfSession } from '../directory/users.js';
import { createHash, randomBytes } from 'node:crypto';
import type { ClientConfig, UserRecord } from '../config/types.js';
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import { hashSecret, isSessionId, newSecret, newSessionId, tagOfSessionId, userTag } from '../session/ids.js';
import { isAlive } from '../session/model.js';
import { endSession } from '../session/end-session.js';
import type { SessionRecord, SessionStore } from '../store/types.js';
import { issueAccessToken } from './access-token.js';
import { OAuthError } from './oauth-error.js';
import { redemptionWasReplayed, revokeReplayedCode, saveRedemptionMarker, type CodeReplayDeps } from './code-replay.js';
import { formatRefreshToken, openSuccessor, parseRefreshToken, sealSuccessor } from './refresh-token.js';
import { createAnnouncing } from '../session/end-session.js';
import { SESSION_CLIENT_ID } from './scopes.js';

/** What the token operations read: signing, the code store, token sessions and their chains. */
export type TokenServiceDeps = CodeReplayDeps &
  Pick<Deps, 'clock' | 'keys' | 'metrics' | 'audit' | 'revocations'> & {
    store: Pick<
      SessionStore,
      'saveAuthCode' | 'takeAuthCode' | 'getSession' | 'createSession' | 'saveRefreshChain' | 'rotateRefreshToken'
    >;
  };

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

export interface CodePayload {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  userId: string;
  browserSessionId: string;
  scope: string;
  authTime: number;
  /** The id of the token session the code will create, fixed when the code is issued (code-replay.ts). */
  tokenSessionId: string;
}

const CODE_TTL_MS = 60_000;

function audienceOf(client: ClientConfig | null, tenant: TenantRuntime): string | readonly string[] {
  return client?.audience && client.audience.length > 0 ? client.audience : tenant.issuer;
}

async function accessFor(
  deps: TokenServiceDeps,
  tenant: TenantRuntime,
  session: SessionRecord | null,
  user: UserRecord | null,
  client: ClientConfig | null,
  scope: string,
): Promise<{ token: string; expiresIn: number }> {
  const lifetime = tenant.settings.accessTokenLifetime;
  const { token } = await issueAccessToken(deps.keys, {
    issuer: tenant.issuer,
    subject: user?.id ?? client!.id,
    audience: audienceOf(client, tenant),
    clientId: client?.id ?? SESSION_CLIENT_ID,
    scope,
    sessionId: session?.id ?? null,
    authTime: session?.authTime ?? null,
    auth: session ? { amr: session.amr, mfa: session.mfaAt !== null } : null,
    tenant: tenant.slug,
    roles: user?.roles ?? [],
    lifetimeSeconds: lifetime,
    now: deps.clock.now(),
  });
  return { token, expiresIn: lifetime };
}

/** POST /api/v1/session/token: an access token bound to the caller's login session. */
export async function sessionAccessToken(
  deps: TokenServiceDeps,
  tenant: TenantRuntime,
  session: SessionRecord,
  user: UserRecord,
): Promise<TokenResponse> {
  const { token, expiresIn } = await accessFor(deps, tenant, session, user, null, '');
  return { access_token: token, token_type: 'Bearer', expires_in: expiresIn };
}

export function codeHash(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

export async function createAuthCode(
  deps: TokenServiceDeps,
  tenant: TenantRuntime,
  request: Omit<CodePayload, 'tokenSessionId'>,
): Promise<string> {
  const code = randomBytes(32).toString('base64url');
  const payload: CodePayload = { ...request, tokenSessionId: newSessionId(tenant.slug, request.userId) };
  // The marker first: a code that can be redeemed always has one (code-replay.ts).
  await saveRedemptionMarker(deps, tenant, code, payload.tokenSessionId, payload.userId);
  await deps.store.saveAuthCode(tenant.slug, codeHash(code), JSON.stringify(payload), CODE_TTL_MS);
  return code;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** grant_type=authorization_code (RFC 6749 §4.1.3 + RFC 7636). */
export async function exchangeCode(
  deps: TokenServiceDeps,
  tenant: TenantRuntime,
  client: ClientConfig,
  p: { code: string; redirectUri: string; verifier: string; ip: string; userAgent: string },
): Promise<TokenResponse> {
  // Codes are ours: base64url of 32 bytes. Nothing else is looked up.
  if (!/^[A-Za-z0-9_-]{43}$/.test(p.code)) throw new OAuthError('invalid_grant', 'invalid authorization code');
  const raw = await deps.store.takeAuthCode(tenant.slug, codeHash(p.code));
  if (!raw) {
    const revoked = await revokeReplayedCode(deps, tenant, p.code, p.ip);
    throw new OAuthError(
      'invalid_grant',
      revoked
        ? 'authorization code already used: the tokens issued for it are revoked'
        : 'invalid, expired or already used authorization code',
    );
  }
  const c = JSON.parse(raw) as CodePayload;
  // A code issued before token session ids were fixed at issue time is simply refused.
  const sid = c.tokenSessionId;
  if (typeof sid !== 'string' || !isSessionId(sid) || tagOfSessionId(sid) !== userTag(tenant.slug, c.userId)) {
    throw new OAuthError('invalid_grant', 'invalid authorization code');
  }
  if (c.clientId !== client.id) throw new OAuthError('invalid_grant', 'the code was issued to another client');
  if (c.redirectUri !== p.redirectUri)
    throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(p.verifier) || s256(p.verifier) !== c.codeChallenge)
    throw new OAuthError('invalid_grant', 'PKCE verification failed');
  const browser = await deps.store.getSession(tenant.slug, c.browserSessionId);
  if (!browser || !isAlive(browser, deps.clock.now()))
    throw new OAuthError('invalid_grant', 'the login session has ended');
  const user = browser.userId === c.userId ? userOfSession(tenant, browser) : undefined;
  if (!user) throw new OAuthError('invalid_grant', 'the user no longer exists');

  const now = deps.clock.now();
  const secret = newSecret();
  const lifetimeMs = tenant.settings.refreshTokenLifetime * 1000;
  const session: SessionRecord = {
    id: sid,
    tenant: tenant.slug,
    userId: user.id,
    kind: 'token',
    secretHash: hashSecret(randomBytes(32).toString('base64url')), // never used as a cookie
    clientId: client.id,
    ipAddress: p.ip,
    userAgent: p.userAgent.slice(0, 512),
    authMethod: browser.authMethod,
    // The app's tokens say how the user signed in, second factor included (SPEC §13).
    amr: browser.amr,
    mfaAt: browser.mfaAt,
    rememberMe: false,
    createdAt: now,
    lastActiveAt: now,
    authTime: c.authTime,
    expiresAt: now + lifetimeMs,
    idleTimeoutMs: null,
    scope: c.scope,
    // A federated user's profile and IdP session go with the tokens (refreshes, back-channel logout).
    ...(browser.profile ? { profile: browser.profile } : {}),
    ...(browser.idp ? { idp: browser.idp } : {}),
  };
  // Token sessions do not evict login sessions by the concurrency limit (it is for
  // interactive logins); the store's cap on sessions per user may still evict the oldest,
  // and those are announced like any other end.
  await createAnnouncing(deps, session, { max: 0, policy: 'evict-oldest' }, now, p.ip);
  await deps.store.saveRefreshChain(
    tenant.slug,
    session.id,
    { clientId: client.id, currentHash: hashSecret(secret), expiresAt: session.expiresAt },
    now,
  );
  deps.metrics.sessionsCreated.inc({ tenant: tenant.slug });
  deps.audit.emit('session_created', {
    tenant: tenant.slug,
    userId: user.id,
    sessionId: session.id,
    ip: p.ip,
    kind: 'token',
    clientId: client.id,
  });
  // A replay that came while this redemption was under way: nothing is handed out.
  if (await redemptionWasReplayed(deps, tenant, session.id, user.id, p.ip)) {
    throw new OAuthError('invalid_grant', 'authorization code already used: the tokens issued for it are revoked');
  }
  const { token, expiresIn } = await accessFor(deps, tenant, session, user, client, c.scope);
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_in: expiresIn,
    refresh_token: formatRefreshToken(session.id, secret),
    scope: c.scope,
  };
}

/** grant_type=refresh_token: rotation, the grace window, reuse detection (SPEC §4). */
export async function refreshGrant(
  deps: TokenServiceDeps,
  tenant: TenantRuntime,
  client: ClientConfig,
  refreshToken: string,
  ip: string,
): Promise<TokenResponse> {
  const parts = parseRefreshToken(refreshToken);
  if (!parts) throw new OAuthError('invalid_grant', 'invalid refresh token');
  const now = deps.clock.now();
  const session = await deps.store.getSession(tenant.slug, parts.sessionId);
  if (!session || session.kind !== 'token' || !isAlive(session, now) || deps.revocations.has(session.id))
    throw new OAuthError('invalid_grant', 'invalid refresh token');
  if (session.clientId !== client.id)
    throw new OAuthError('invalid_grant', 'the refresh token was issued to another client');
  const user = userOfSession(tenant, session);
  if (!user) throw new OAuthError('invalid_grant', 'the user no longer exists');

  const next = newSecret();
  const expiresAt = Math.min(now + tenant.settings.refreshTokenLifetime * 1000, session.expiresAt);
  const r = await deps.store.rotateRefreshToken(tenant.slug, session.id, {
    presentedHash: hashSecret(parts.secret),
    nextHash: hashSecret(next),
    successorBox: sealSuccessor(parts.secret, session.id, next),
    expiresAt,
    now,
    graceMs: tenant.settings.refreshGrace * 1000,
  });
  let successor: string;
  if (r.result === 'rotated') successor = next;
  else if (r.result === 'grace') {
    const opened = openSuccessor(parts.secret, session.id, r.successorBox);
    if (!opened) throw new OAuthError('invalid_grant', 'invalid refresh token');
    successor = opened;
  } else if (r.result === 'reuse') {
    deps.audit.emit('refresh_token_reuse', {
      tenant: tenant.slug,
      userId: session.userId,
      sessionId: session.id,
      ip,
      clientId: client.id,
    });
    await endSession(deps, session, 'refresh_token_reuse', ip);
    throw new OAuthError('invalid_grant', 'the refresh token was already used; the session is revoked');
  } else throw new OAuthError('invalid_grant', 'invalid refresh token');

  const scope = session.scope ?? '';
  const { token, expiresIn } = await accessFor(deps, tenant, session, user, client, scope);
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_in: expiresIn,
    refresh_token: formatRefreshToken(session.id, successor),
    scope,
  };
}

/** grant_type=client_credentials: a token for the client itself (no user, no session). */
export async function clientCredentialsGrant(
  deps: TokenServiceDeps,
  tenant: TenantRuntime,
  client: ClientConfig,
  scope: string,
): Promise<TokenResponse> {
  const { token, expiresIn } = await accessFor(deps, tenant, null, null, client, scope);
  return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope };
}
