// The route's requirements: for each, the user must hold at least one of its roles (as
// oauth2-proxy's allowed groups do; documented in the README), then the strictest freshAuth,
// then the second factor (SPEC §13): `mfa: true` needs one in this session, and with
// freshAuth within that window (then freshAuth measures the second factor, not the password).
// A tenant with `mfa.required` holds every user session to `mfa: true`.
import { isFresh } from '../../session/model.js';
import type { Deps } from '../../deps.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

export type EnforcePolicyDeps = Pick<Deps, 'clock' | 'audit'>;

const strictest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

export const enforcePolicy: Step<EnforcePolicyDeps> = {
  name: 'enforce-policy',
  run(scope, deps) {
    const { requirements, user, session } = scope;
    if (!requirements) throw new TypeError('enforce-policy: requirements must be set');
    let freshAuth: number | null = null;
    let mfa = false;
    let mfaFresh: number | null = null;
    for (const r of requirements) {
      // A client_credentials token (no user) holds no roles and has no authentication time.
      if (r.roles.length > 0 && !r.roles.some((role) => user?.roles.includes(role)))
        return deny('ERR_GK_FORBIDDEN', 'missing_role');
      if (r.mfa) {
        mfa = true;
        mfaFresh = strictest(mfaFresh, r.freshAuth);
      } else freshAuth = strictest(freshAuth, r.freshAuth);
    }
    if ((freshAuth !== null || mfa) && !session) return deny('ERR_GK_FORBIDDEN', 'fresh_auth_needs_a_user');
    if (!session) return;
    const now = deps.clock.now();
    // The session's authTime, not the token's auth_time: re-authentication updates it.
    if (freshAuth !== null && !isFresh(session, freshAuth, now)) {
      deps.audit.emit('reauth_required', {
        tenant: session.tenant,
        userId: session.userId,
        sessionId: session.id,
        ip: scope.input.clientIp,
      });
      return deny('ERR_GK_REAUTH_REQUIRED', 'auth_too_old', { maxAge: freshAuth });
    }
    if (!mfa && scope.tenant?.settings.mfa.required !== true) return;
    if (session.mfaAt === null)
      return deny('ERR_GK_MFA_REQUIRED', 'mfa_missing', mfaFresh !== null ? { maxAge: mfaFresh } : {});
    if (mfaFresh !== null && now - session.mfaAt > mfaFresh * 1000)
      return deny('ERR_GK_MFA_REQUIRED', 'mfa_too_old', { maxAge: mfaFresh });
  },
};
