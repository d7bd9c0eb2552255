// Finds the route policy: first match wins; no match means "authenticated".
import type { Step } from '../scope.js';

const AUTHENTICATED = Object.freeze({ roles: Object.freeze([]) as readonly string[], freshAuth: null });

export const matchRoute: Step = {
  name: 'match-route',
  run(scope) {
    const { app, target } = scope;
    if (!app || !target) throw new TypeError('match-route: app and target must be resolved first');
    const route = app.matcher.match(scope.input.method, target.matchPath);
    scope.route = route;
    scope.requirement = route ? route.require : AUTHENTICATED;
  },
};
