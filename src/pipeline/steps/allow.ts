// The end of the table: everything passed, so the request is allowed with its identity.
import type { Step } from '../scope.js';

export const allow: Step = {
  name: 'allow',
  run(scope) {
    const { user, session, tenant, token } = scope;
    if (!tenant) throw new TypeError('allow: tenant must be set');
    if (user && session) {
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
          clientId: token?.client_id ?? null,
          scope: token?.scope ?? null,
        },
      };
    }
    if (!token) throw new TypeError('allow: neither a user session nor a token');
    return {
      kind: 'allow',
      identity: {
        userId: token.sub,
        email: '',
        name: token.client_id,
        roles: [],
        tenant: tenant.slug,
        sessionId: null,
        authTime: null,
        clientId: token.client_id,
        scope: token.scope,
      },
    };
  },
};
