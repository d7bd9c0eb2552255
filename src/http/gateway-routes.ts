// The gateway's own endpoints under /t/{slug}/ (SPEC §5): one table, exact paths with
// `:param` segments. Anything else under a tenant prefix is 404.
import type { Handler } from './context.js';
import { forwardAuth } from './handlers/forward-auth.js';
import { getLogin, postLogin } from './handlers/login.js';
import { getIdpCallback, getIdpLogin } from './handlers/oidc-login.js';
import { postBackchannelLogout } from './handlers/backchannel-logout.js';
import { getLogout, postLogout } from './handlers/logout.js';
import { getSession } from './handlers/session-api.js';
import { getMfaScript, getStylesheet, getWebAuthnScript } from './handlers/static.js';
import { getLoginMfa, postLoginMfa, postLoginMfaOptions } from './handlers/login-mfa.js';
import { postPasskeyLogin, postPasskeyOptions } from './handlers/login-passkey.js';
import {
  getSecurity,
  getTotpSetup,
  postRecoveryCodes,
  postRemoveFactor,
  postTotpSetup,
  postWebAuthnOptions,
  postWebAuthnRegister,
} from './handlers/account-security.js';
import { deleteUserFactor, getUserFactors, postRemoveUserFactorPage } from './handlers/admin-factors.js';
import { getAuthorize } from './handlers/authorize.js';
import { postIntrospect } from './handlers/introspect.js';
import { postRevoke } from './handlers/revoke.js';
import { postSessionToken } from './handlers/session-token.js';
import { postToken } from './handlers/token.js';
import { getJwks, getMetadata } from './handlers/well-known.js';
import { getOpenApi } from './handlers/openapi.js';
import { getUsers } from './handlers/admin-users.js';
import { deleteUserSession, getUserSessions, postRevokeAll } from './handlers/admin-user-sessions.js';
import { getUsersPage } from './handlers/pages-users-list.js';
import { deleteMySession, getMySessions, postRevokeOthers } from './handlers/me-sessions.js';
import { getAuthSettings, patchAuthSettings } from './handlers/auth-settings.js';
import { getAccountSessions, postRevokeMyOtherSessions, postRevokeMySession } from './handlers/pages-account.js';
import {
  getRevokeAllConfirm,
  getUserPage,
  postRevokeAllPage,
  postRevokeUserSessionPage,
} from './handlers/pages-users.js';
import { getAuthSettingsPage, postAuthSettingsPage } from './handlers/pages-settings.js';

interface RouteDef {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  handler: Handler;
}

export const GATEWAY_ROUTES: readonly RouteDef[] = [
  { method: 'GET', path: '/login', handler: getLogin },
  { method: 'POST', path: '/login', handler: postLogin },
  // Sign-in through an identity provider (SPEC §12).
  // The second step and passkey sign-in (SPEC §13); exact paths win over /login/:provider.
  { method: 'GET', path: '/login/mfa', handler: getLoginMfa },
  { method: 'POST', path: '/login/mfa', handler: postLoginMfa },
  { method: 'POST', path: '/login/mfa/webauthn/options', handler: postLoginMfaOptions },
  { method: 'POST', path: '/login/passkey/options', handler: postPasskeyOptions },
  { method: 'POST', path: '/login/passkey', handler: postPasskeyLogin },
  { method: 'GET', path: '/login/:provider', handler: getIdpLogin },
  { method: 'GET', path: '/oidc/:provider/callback', handler: getIdpCallback },
  { method: 'POST', path: '/oidc/:provider/backchannel-logout', handler: postBackchannelLogout },
  { method: 'GET', path: '/logout', handler: getLogout },
  { method: 'POST', path: '/logout', handler: postLogout },
  { method: 'GET', path: '/api/v1/session', handler: getSession },
  { method: 'GET', path: '/static/gatekeeper.css', handler: getStylesheet },
  { method: 'GET', path: '/static/webauthn.js', handler: getWebAuthnScript },
  { method: 'GET', path: '/static/gatekeeper-mfa.js', handler: getMfaScript },
  { method: 'POST', path: '/api/v1/session/token', handler: postSessionToken },
  { method: 'GET', path: '/oauth/authorize', handler: getAuthorize },
  { method: 'POST', path: '/api/v1/oauth/token', handler: postToken },
  { method: 'POST', path: '/api/v1/oauth/revoke', handler: postRevoke },
  { method: 'POST', path: '/api/v1/oauth/introspect', handler: postIntrospect },
  { method: 'GET', path: '/.well-known/jwks.json', handler: getJwks },
  { method: 'GET', path: '/.well-known/oauth-authorization-server', handler: getMetadata },
  { method: 'GET', path: '/api/v1/openapi.json', handler: getOpenApi },
  { method: 'GET', path: '/api/v1/users', handler: getUsers },
  { method: 'GET', path: '/api/v1/users/:userId/sessions', handler: getUserSessions },
  { method: 'DELETE', path: '/api/v1/users/:userId/sessions/:sessionId', handler: deleteUserSession },
  { method: 'POST', path: '/api/v1/users/:userId/sessions/revoke-all', handler: postRevokeAll },
  { method: 'GET', path: '/api/v1/users/:userId/factors', handler: getUserFactors },
  { method: 'DELETE', path: '/api/v1/users/:userId/factors/:factorId', handler: deleteUserFactor },
  { method: 'GET', path: '/api/v1/configuration/auth-settings', handler: getAuthSettings },
  { method: 'PATCH', path: '/api/v1/configuration/auth-settings', handler: patchAuthSettings },
  { method: 'GET', path: '/api/v1/me/sessions', handler: getMySessions },
  { method: 'DELETE', path: '/api/v1/me/sessions/:id', handler: deleteMySession },
  { method: 'POST', path: '/api/v1/me/sessions/revoke-others', handler: postRevokeOthers },
  { method: 'GET', path: '/auth', handler: forwardAuth },
  // Server-rendered pages (SPEC §5): forms POST with the session's CSRF token, then redirect (PRG).
  { method: 'GET', path: '/account/sessions', handler: getAccountSessions },
  { method: 'POST', path: '/account/sessions/:id/revoke', handler: postRevokeMySession },
  { method: 'POST', path: '/account/sessions/revoke-others', handler: postRevokeMyOtherSessions },
  { method: 'GET', path: '/account/security', handler: getSecurity },
  { method: 'GET', path: '/account/security/totp', handler: getTotpSetup },
  { method: 'POST', path: '/account/security/totp', handler: postTotpSetup },
  { method: 'POST', path: '/account/security/webauthn/options', handler: postWebAuthnOptions },
  { method: 'POST', path: '/account/security/webauthn', handler: postWebAuthnRegister },
  { method: 'POST', path: '/account/security/recovery-codes', handler: postRecoveryCodes },
  { method: 'POST', path: '/account/security/factors/:id/remove', handler: postRemoveFactor },
  { method: 'GET', path: '/portal/access-management/users', handler: getUsersPage },
  { method: 'GET', path: '/portal/access-management/users/:userId', handler: getUserPage },
  {
    method: 'POST',
    path: '/portal/access-management/users/:userId/sessions/:sessionId/revoke',
    handler: postRevokeUserSessionPage,
  },
  { method: 'GET', path: '/portal/access-management/users/:userId/revoke-all', handler: getRevokeAllConfirm },
  { method: 'POST', path: '/portal/access-management/users/:userId/revoke-all', handler: postRevokeAllPage },
  {
    method: 'POST',
    path: '/portal/access-management/users/:userId/factors/:factorId/remove',
    handler: postRemoveUserFactorPage,
  },
  { method: 'GET', path: '/portal/configuration/auth-settings', handler: getAuthSettingsPage },
  { method: 'POST', path: '/portal/configuration/auth-settings', handler: postAuthSettingsPage },
];

interface Compiled {
  def: RouteDef;
  segments: string[];
}

const COMPILED: Compiled[] = GATEWAY_ROUTES.map((def) => ({ def, segments: def.path.split('/').slice(1) }));

export type RouteLookup = { handler: Handler; params: Record<string, string> } | { methodNotAllowed: true } | null;

/** A path parameter, percent-decoded; only the characters ids may hold (user ids allow @ and :). */
function decodeParam(raw: string): string | null {
  if (raw === '' || raw.length > 600) return null;
  let v: string;
  try {
    v = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return /^[A-Za-z0-9._~@:-]{1,200}$/.test(v) ? v : null;
}

/** `rest` is the path after `/t/{slug}` (e.g. `/login`). HEAD is served by GET routes. */
export function findGatewayRoute(method: string, rest: string): RouteLookup {
  const parts = rest.split('/').slice(1);
  let pathMatched = false;
  for (const c of COMPILED) {
    if (c.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = c.segments[i]!;
      const part = parts[i]!;
      if (seg.startsWith(':')) {
        const value = decodeParam(part);
        if (value === null) ok = false;
        else params[seg.slice(1)] = value;
      } else if (seg !== part) ok = false;
    }
    if (!ok) continue;
    pathMatched = true;
    if (c.def.method === method || (method === 'HEAD' && c.def.method === 'GET'))
      return { handler: c.def.handler, params };
  }
  return pathMatched ? { methodNotAllowed: true } : null;
}
