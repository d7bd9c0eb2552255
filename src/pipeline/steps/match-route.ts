// Finds the route policy: first match wins; no match means "authenticated". The request
// must satisfy every rule its path matches as written and lower-cased (SPEC §2, case).
import { DEFAULTS } from '../../config/defaults.js';
import type { RouteRequirement } from '../../config/types.js';
import type { Step } from '../scope.js';

export const matchRoute: Step = {
  name: 'match-route',
  run(scope) {
    const { app, target } = scope;
    if (!app || !target) throw new TypeError('match-route: app and target must be resolved first');
    const rules = app.matcher.matchAll(scope.input.method, target.matchPath);
    scope.route = rules[0]!;
    const requirements: RouteRequirement[] = [];
    for (const rule of rules) {
      const r = rule ? rule.require : DEFAULTS.route.require;
      if (r !== null && !requirements.includes(r)) requirements.push(r);
    }
    scope.requirements = requirements;
  },
};
