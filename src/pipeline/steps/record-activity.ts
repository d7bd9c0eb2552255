// Idle refresh: records activity, throttled (see touchSession), for a request that is allowed.
import { touchSession, type TouchDeps } from '../../session/service.js';
import type { Step } from '../scope.js';

export const recordActivity: Step<TouchDeps> = {
  name: 'record-activity',
  run(scope, deps) {
    if (scope.session) touchSession(deps, scope.session);
  },
};
