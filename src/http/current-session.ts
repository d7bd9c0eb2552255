// The caller's login session (the cookie alone), judged by the endpoint pipeline exactly as
// proxied requests are judged, with its CSRF token. For reading who is signed in (session
// API, pages, authorize, the login form); an endpoint that changes state on the strength
// of the session goes through caller.ts, whose CSRF guard this does not run.
import type { IncomingMessage } from 'node:http';
import type { UserRecord } from '../config/types.js';
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import type { SessionRecord } from '../store/types.js';
import { clientIp } from '../util/client-ip.js';
import { runEndpointPipeline, type CallerDeps } from './caller.js';

/** The endpoint pipeline's deps, and the trusted proxies (for the client address). */
export type CurrentSessionDeps = CallerDeps & Pick<Deps, 'trust'>;

export interface CurrentSession {
  session: SessionRecord;
  user: UserRecord;
  csrfToken: string;
}

/** null when there is no valid, live session for this tenant; a store outage throws (503). */
export async function currentSession(
  req: IncomingMessage,
  tenant: TenantRuntime,
  deps: CurrentSessionDeps,
): Promise<CurrentSession | null> {
  const auth = await runEndpointPipeline(req, tenant, deps, clientIp(req, deps.trust), 'session-cookie');
  if (!auth.ok) return null;
  const { session, user, csrfToken } = auth.caller;
  return session && user && csrfToken !== null ? { session, user, csrfToken } : null;
}
