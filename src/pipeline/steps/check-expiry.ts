// Absolute and idle expiry, judged from the record with the injected clock. An expired
// session ends like any other (end-session.ts): refused here at once, removed, announced on
// the bus so that every instance closes its WebSockets and drops cached copies (SPEC §3.5),
// and audited once. The request is refused without waiting for that.
import type { Deps } from '../../deps.js';
import { endSession, type EndDeps } from '../../session/end-session.js';
import { expiryState } from '../../session/model.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

export type CheckExpiryDeps = Pick<Deps, 'clock' | 'log'> & EndDeps;

export const checkExpiry: Step<CheckExpiryDeps> = {
  name: 'check-expiry',
  run(scope, deps) {
    const session = scope.session;
    if (!session) return; // a client_credentials token has no session; its exp was checked
    const state = expiryState(session, deps.clock.now());
    if (state === 'alive') return;
    endSession(deps, session, state === 'absolute' ? 'expired_absolute' : 'expired_idle', scope.input.clientIp).catch(
      (err: unknown) => deps.log.warn({ err: String(err), sessionId: session.id }, 'could not end an expired session'),
    );
    return deny('ERR_GK_UNAUTHENTICATED', `session_expired_${state}`);
  },
};
