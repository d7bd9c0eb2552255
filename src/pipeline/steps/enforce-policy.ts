// The route's requirement: the user must hold at least one of the listed roles (as
// oauth2-proxy's allowed groups do; documented in the README), then freshAuth.
import { isFresh } from '../../session/model.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

export const enforcePolicy: Step = {
  name: 'enforce-policy',
  run(scope, deps) {
    const { requirement, user, session } = scope;
    if (!requirement) throw new TypeError('enforce-policy: requirement must be set');
    // A client_credentials token (no user) holds no roles and has no authentication time.
    if (requirement.roles.length > 0 && !requirement.roles.some((r) => user?.roles.includes(r))) {
      return deny('ERR_GK_FORBIDDEN', 'missing_role');
    }
    if (requirement.freshAuth !== null && !session) return deny('ERR_GK_FORBIDDEN', 'fresh_auth_needs_a_user');
    // The session's authTime, not the token's auth_time: re-authentication updates it.
    if (requirement.freshAuth !== null && session && !isFresh(session, requirement.freshAuth, deps.clock.now())) {
      deps.audit.emit('reauth_required', { tenant: session.tenant, userId: session.userId, sessionId: session.id, ip: scope.input.clientIp });
      return deny('ERR_GK_REAUTH_REQUIRED', 'auth_too_old', { maxAge: requirement.freshAuth });
    }
  },
};
