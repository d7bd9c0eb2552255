// Anonymous routes are forwarded without looking at any credential.
import type { Step } from '../scope.js';

export const allowAnonymous: Step = {
  name: 'allow-anonymous',
  run(scope) {
    if (scope.requirement === null) return { kind: 'allow', identity: null };
  },
};
