// Idle refresh: records activity, throttled to once per min(60 s, idleTimeout/10) so the
// store is not written on every request. Not awaited: a late write only shortens idle time.
import { activityDue } from '../../session/model.js';
import type { Step } from '../scope.js';

export const recordActivity: Step = {
  name: 'record-activity',
  run(scope, deps) {
    const session = scope.session;
    if (!session) return;
    const now = deps.clock.now();
    if (!activityDue(session, now)) return;
    deps.store.updateSession(session.tenant, session.id, { lastActiveAt: now }).catch((err: unknown) => {
      deps.metrics.storeErrors.inc({ op: 'touch' });
      deps.log.warn({ err: String(err), sessionId: session.id }, 'could not record session activity');
    });
  },
};
