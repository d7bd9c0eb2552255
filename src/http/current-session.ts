// The caller's login session for gateway endpoints: the cookie checked exactly as the
// pipeline checks it (secret, revocation, expiry), plus the secret for CSRF tokens.
import type { IncomingMessage } from 'node:http';
import type { UserRecord } from '../config/types.js';
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import { readSessionCookie, sessionFromCookie } from '../authn/cookie-session.js';
import { parseCookieValue } from '../session/cookie.js';
import { sessionCsrfToken } from '../session/csrf.js';
import { isAlive } from '../session/model.js';
import { touchSession } from '../session/service.js';
import { ipBindingHolds } from '../session/ip-binding.js';
import { clientIp } from '../util/client-ip.js';
import type { SessionRecord } from '../store/types.js';

export interface CurrentSession {
  session: SessionRecord;
  user: UserRecord;
  csrfToken: string;
}

export async function currentSession(req: IncomingMessage, tenant: TenantRuntime, deps: Deps): Promise<CurrentSession | null> {
  const raw = readSessionCookie(req.headers.cookie, tenant.cookie.name);
  if (raw === undefined) return null;
  const value = parseCookieValue(raw);
  if (!value) return null;
  const session = await sessionFromCookie(raw, tenant, deps);
  if (!session || !isAlive(session, deps.clock.now())) return null;
  const user = tenant.usersById.get(session.userId);
  if (!user) return null;
  if (!(await ipBindingHolds(deps, tenant, session, clientIp(req, deps.trust)))) return null;
  // Using the gateway's own pages and APIs is activity too (an admin working in the portal).
  touchSession(deps, session);
  return { session, user, csrfToken: sessionCsrfToken(session.id, value.secret) };
}
