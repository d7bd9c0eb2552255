// The route's requirements: for each, the user must hold at least one of its roles (as
// oauth2-proxy's allowed groups do; documented in the README), then the strictest freshAuth.
import { isFresh } from '../../session/model.js';
import type { Deps } from '../../deps.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

export type EnforcePolicyDeps = Pick<Deps, 'clock' | 'audit'>;

export const enforcePolicy: Step<EnforcePolicyDeps> = {
  name: 'enforce-policy',
  run(scope, deps) {
    const { requirements, user, session } = scope;
    if (!requirements) throw new TypeError('enforce-policy: requirements must be set');
    let freshAuth: number | null = null;
    for (const r of requirements) {
      // A client_credentials token (no user) holds no roles and has no authentication time.
      if (r.roles.length > 0 && !r.roles.some((role) => user?.roles.includes(role)))
        return deny('ERR_GK_FORBIDDEN', 'missing_role');
      if (r.freshAuth !== null) freshAuth = freshAuth === null ? r.freshAuth : Math.min(freshAuth, r.freshAuth);
    }
    if (freshAuth !== null && !session) return deny('ERR_GK_FORBIDDEN', 'fresh_auth_needs_a_user');
    // The session's authTime, not the token's auth_time: re-authentication updates it.
    if (freshAuth !== null && session && !isFresh(session, freshAuth, deps.clock.now())) {
      deps.audit.emit('reauth_required', {
        tenant: session.tenant,
        userId: session.userId,
        sessionId: session.id,
        ip: scope.input.clientIp,
      });
      return deny('ERR_GK_REAUTH_REQUIRED', 'auth_too_old', { maxAge: freshAuth });
    }
  },
};
