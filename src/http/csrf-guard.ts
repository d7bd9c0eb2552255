// SPEC §5 CSRF rule, the one place it is checked for signed-in callers: a state-changing
// request authenticated by the login-session cookie must come from this site (Sec-Fetch-Site
// and Origin, origin-guard.ts) and carry the session's CSRF token (`X-CSRF-Token`, or the
// form field `csrf_token` on endpoints that take forms). It is a step of the endpoint
// pipeline placed right after authentication, so a refused request changes nothing — not
// even the session's activity. Bearer callers are not checked: a browser never adds an
// `Authorization` header to a request on its own.
import { readSessionCookie } from '../authn/cookie-session.js';
import { isGatewayError } from '../errors.js';
import { deny, type Decision, type Step } from '../pipeline/scope.js';
import { csrfTokenFromCookie } from '../session/csrf.js';
import { constantTimeEqual } from '../util/constant-time.js';
import { isSameSiteRequest } from './origin-guard.js';
import type { Deps } from '../deps.js';

/** RFC 9110 §9.2.1: safe methods change nothing, so they need no token. */
const SAFE = new Set(['GET', 'HEAD']);

/** `formToken` reads the posted `csrf_token`; it is called only when no header carries the token. */
export function csrfGuard(formToken?: () => Promise<string>): Step<Pick<Deps, 'registry'>> {
  return {
    name: 'csrf-guard',
    async run(scope, deps): Promise<Decision | void> {
      const { input, session, tenant } = scope;
      if (scope.credential !== 'cookie' || SAFE.has(input.method)) return;
      if (!session || !tenant) throw new TypeError('csrf-guard: must run after authentication');
      // Before the body is read: a cross-site request is refused whatever it carries.
      if (!isSameSiteRequest(input, deps.registry.config.server.publicUrl, tenant))
        return deny('ERR_GK_CSRF', 'cross_site_request');
      const header = input.headers['x-csrf-token'];
      let presented = '';
      if (typeof header === 'string') presented = header;
      else if (formToken) {
        try {
          presented = await formToken();
        } catch (err) {
          // A body that cannot be read as a form is bad input (4xx), not a failed step (500).
          if (isGatewayError(err)) return deny(err.code, err.detail ?? 'unreadable_form');
          throw err;
        }
      }
      const cookie = input.headers.cookie;
      const expected = csrfTokenFromCookie(
        readSessionCookie(typeof cookie === 'string' ? cookie : undefined, tenant.cookie.name),
        session.id,
      );
      if (!presented || expected === null || !constantTimeEqual(presented, expected))
        return deny('ERR_GK_CSRF', 'csrf_token_mismatch');
    },
  };
}
