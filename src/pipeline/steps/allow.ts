// The end of the table: everything passed, so the request is allowed with its identity.
import type { Step } from '../scope.js';

export const allow: Step = {
  name: 'allow',
  run(scope) {
    const { user, session, tenant } = scope;
    if (!user || !session || !tenant) throw new TypeError('allow: user, session and tenant must be set');
    return {
      kind: 'allow',
      identity: {
        userId: user.id,
        email: user.email,
        name: user.name,
        roles: user.roles,
        tenant: tenant.slug,
        sessionId: session.id,
        authTime: session.authTime,
      },
    };
  },
};
