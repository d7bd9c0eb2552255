// What the WebSocket sweep (proxy/live-connections.ts) does with the sessions of open
// sockets: an open socket is activity of its session (SPEC §3.5), recorded with the same
// throttle as requests; absolute expiry ends the session like any other end (end-session.ts),
// so every instance closes its sockets too.
import type { Deps } from '../deps.js';
import type { SessionWatch } from '../proxy/live-connections.js';
import { endSession } from './end-session.js';
import { recordActivity } from './service.js';

export function sessionWatch(
  deps: Pick<Deps, 'clock' | 'log' | 'store' | 'readCache' | 'revocations' | 'bus' | 'metrics' | 'audit'>,
): SessionWatch {
  return {
    now: () => deps.clock.now(),
    expired: async (session) => {
      try {
        await endSession(deps, session, 'expired_absolute', null);
      } catch (err) {
        deps.log.warn({ err: String(err), sessionId: session.id }, 'could not end an expired session');
      }
    },
    active: async (session, now) => {
      try {
        return await recordActivity(deps, session, now);
      } catch (err) {
        // The store cannot say whether the session lives: keep the socket, try again later.
        deps.log.warn({ err: String(err), sessionId: session.id }, 'could not record WebSocket activity');
        return true;
      }
    },
  };
}
