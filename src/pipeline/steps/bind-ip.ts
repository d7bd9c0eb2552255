// IP binding (SPEC §2): a login session may be used only from the address (or network) it
// was created from. The client address comes through trustedProxies only. A mismatch is
// "invalid credential", audited; with ipBindingAction: revoke the session also ends.
import { revokeSession } from '../../session/service.js';
import { sameNetwork } from '../../util/ip-match.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

export const bindIp: Step = {
  name: 'bind-ip',
  async run(scope, deps) {
    const { session, tenant } = scope;
    // Token sessions are bound to a client application, often a server elsewhere: not bound.
    if (!session || !tenant || session.kind !== 'browser') return;
    const { ipBinding, ipBindingAction } = tenant.settings;
    if (ipBinding === 'off' || sameNetwork(session.ipAddress, scope.input.clientIp, ipBinding)) return;
    deps.audit.emit('ip_binding_mismatch', {
      tenant: tenant.slug,
      userId: session.userId,
      sessionId: session.id,
      ip: scope.input.clientIp,
      boundIp: session.ipAddress,
      mode: ipBinding,
      action: ipBindingAction,
    });
    if (ipBindingAction === 'revoke') await revokeSession(deps, session, 'ip_binding_mismatch', scope.input.clientIp);
    return deny('ERR_GK_UNAUTHENTICATED', 'ip_binding_mismatch');
  },
};
