// Absolute and idle expiry, judged from the record with the injected clock. An expired
// session is removed (best effort) and audited once.
import { expiryState } from '../../session/model.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

export const checkExpiry: Step = {
  name: 'check-expiry',
  run(scope, deps) {
    const session = scope.session;
    if (!session) return; // a client_credentials token has no session; its exp was checked
    const state = expiryState(session, deps.clock.now());
    if (state === 'alive') return;
    deps.store.deleteSession(session.tenant, session.id).then(
      (existed) => {
        if (!existed) return;
        deps.metrics.sessionsRevoked.inc({ tenant: session.tenant, reason: `expired_${state}` });
        deps.audit.emit('session_expired', { tenant: session.tenant, userId: session.userId, sessionId: session.id, ip: scope.input.clientIp, reason: state });
      },
      (err: unknown) => deps.log.debug({ err: String(err) }, 'could not delete an expired session'),
    );
    return deny('ERR_GK_UNAUTHENTICATED', `session_expired_${state}`);
  },
};
