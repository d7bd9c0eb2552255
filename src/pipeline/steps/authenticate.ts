// Asks each authenticator in turn; the first that is responsible decides. No credential
// at all is "unauthenticated"; a bad one is too, with its reason logged.
import { bearerJwt, type BearerJwtDeps } from '../../authn/bearer-jwt.js';
import { cookieSession, type CookieSessionDeps } from '../../authn/cookie-session.js';
import { NOT_RESPONSIBLE, type Authenticator } from '../../authn/types.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

/** What every authenticator together reads. */
export type AuthnDeps = CookieSessionDeps & BearerJwtDeps;

/** SPEC §3: the session cookie, else `Authorization: Bearer`. */
export const AUTHENTICATORS: readonly Authenticator<AuthnDeps>[] = [cookieSession, bearerJwt];

/**
 * The authenticate step over a given list of authenticators, in order. The proxy uses
 * AUTHENTICATORS; the gateway's own endpoints choose which credentials they take
 * (pipeline/endpoint.ts), with the same authenticators.
 */
export function authenticateWith<D>(authenticators: readonly Authenticator<D>[]): Step<D> {
  return {
    name: 'authenticate',
    async run(scope, deps) {
      for (const authn of authenticators) {
        const result = await authn.authenticate(scope, deps);
        if (result === NOT_RESPONSIBLE) continue;
        if (!result.ok) return deny('ERR_GK_UNAUTHENTICATED', result.reason, { bearer: authn === bearerJwt });
        if (result.session) scope.session = result.session;
        if (result.user) scope.user = result.user;
        scope.credential = result.credential;
        return;
      }
      return deny('ERR_GK_UNAUTHENTICATED', 'no_credential');
    },
  };
}

export const authenticate: Step<AuthnDeps> = authenticateWith(AUTHENTICATORS);
