// IP binding (SPEC §2): a login session may be used only from the address (or network) it
// was created from — at the proxied apps and at the gateway's own endpoints alike. The
// client address comes through trustedProxies only. A mismatch is audited; with
// ipBindingAction: revoke the session also ends.
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import type { SessionRecord } from '../store/types.js';
import { sameNetwork } from '../util/ip-match.js';
import { endSession, type EndDeps } from './end-session.js';

/** The audit log, and what ending a session takes (ipBindingAction: revoke). */
export type IpBindingDeps = Pick<Deps, 'audit'> & EndDeps;

/** true when the session may be used from clientIp (after auditing and acting otherwise). */
export async function ipBindingHolds(
  deps: IpBindingDeps,
  tenant: TenantRuntime,
  session: SessionRecord,
  clientIp: string,
): Promise<boolean> {
  // Token sessions are bound to a client application, often a server elsewhere: not bound.
  if (session.kind !== 'browser') return true;
  const { ipBinding, ipBindingAction } = tenant.settings;
  if (ipBinding === 'off' || sameNetwork(session.ipAddress, clientIp, ipBinding)) return true;
  deps.audit.emit('ip_binding_mismatch', {
    tenant: tenant.slug,
    userId: session.userId,
    sessionId: session.id,
    ip: clientIp,
    boundIp: session.ipAddress,
    mode: ipBinding,
    action: ipBindingAction,
  });
  if (ipBindingAction === 'revoke') await endSession(deps, session, 'ip_binding_mismatch', clientIp);
  return false;
}
