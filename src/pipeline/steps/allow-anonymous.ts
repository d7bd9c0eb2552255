// Anonymous routes are forwarded without looking at any credential: only when every rule
// the path matches (as written and lower-cased) is anonymous.
import type { Step } from '../scope.js';

export const allowAnonymous: Step = {
  name: 'allow-anonymous',
  run(scope) {
    if (scope.requirements?.length === 0) return { kind: 'allow', identity: null };
  },
};
