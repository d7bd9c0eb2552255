// The step table for callers of the gateway's own endpoints (SPEC §5: session API, token
// exchange, self-service, admin APIs, pages, authorize, logout). ARCHITECTURE: every entry
// point authenticates through the same pipeline steps, so these are the proxy's own steps
// (pipeline/index.ts) — only the tenant comes from the URL instead of the Host's app, and
// there is no route policy: each endpoint decides afterwards who may call it.
import { bearerJwt } from '../authn/bearer-jwt.js';
import type { IpBindingDeps } from '../session/ip-binding.js';
import type { TouchDeps } from '../session/service.js';
import { cookieSession } from '../authn/cookie-session.js';
import type { Step } from './scope.js';
import { allow } from './steps/allow.js';
import { authenticateWith, type AuthnDeps } from './steps/authenticate.js';
import { bindIp } from './steps/bind-ip.js';
import { checkExpiry, type CheckExpiryDeps } from './steps/check-expiry.js';
import { recordActivity } from './steps/record-activity.js';
import { resolveTenant, type ResolveTenantDeps } from './steps/resolve-tenant.js';

/**
 * Which credentials an endpoint takes. `any`: an `Authorization: Bearer` token, else the
 * session cookie — the explicit credential first: a cookie is sent by the browser whether
 * the caller means it or not (and then needs the CSRF checks), a header is not.
 * `session-cookie`: the login session only (the session API, logout, pages, authorize).
 */
export type EndpointCredentials = 'any' | 'session-cookie';

/** Everything the endpoint steps read, together (a guard may read no more). */
export type EndpointDeps = ResolveTenantDeps & AuthnDeps & CheckExpiryDeps & IpBindingDeps & TouchDeps;

const AUTHENTICATE: Readonly<Record<EndpointCredentials, Step<EndpointDeps>>> = {
  any: authenticateWith<AuthnDeps>([bearerJwt, cookieSession]),
  'session-cookie': authenticateWith([cookieSession]),
};

/**
 * The endpoint pipeline. `guard` runs right after authentication and before every step
 * that writes (expiry deletes, IP binding may revoke, activity is recorded), so a request it
 * refuses changes nothing; the CSRF check of state-changing cookie requests goes there.
 */
export function endpointSteps(
  credentials: EndpointCredentials,
  guard?: Step<EndpointDeps>,
): readonly Step<EndpointDeps>[] {
  return [
    resolveTenant, //            the URL's tenant
    AUTHENTICATE[credentials], // session cookie and/or bearer JWT; revoked ids refused from the LRU
    ...(guard ? [guard] : []),
    checkExpiry, //              absolute and idle expiry; an expired session is removed and audited
    bindIp, //                   IP binding (off | exact | subnet), audited, revoke if so configured
    recordActivity, //           throttled idle refresh
    allow, //                    the identity (the endpoint reads the scope)
  ];
}
