// Login throttling (SPEC §2 loginThrottle): failures are counted per username and per
// client IP in the store; after maxFailures the key is locked for `lockout`. Unknown
// usernames count like known ones, so the answers never tell them apart.
//
// The username's attempt is counted BEFORE the password is checked (one atomic store
// call), so parallel guesses cannot all slip in before the first failure is recorded: at
// most maxFailures passwords are ever checked per window. A success clears that count.
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';

const userKey = (username: string) => `u:${username.toLowerCase()}`;
const ipKey = (ip: string) => `ip:${ip}`;

function rule(tenant: TenantRuntime, extra = 0) {
  const t = tenant.settings.loginThrottle;
  return { windowMs: t.window * 1000, maxFailures: t.maxFailures + extra, lockoutMs: t.lockout * 1000 };
}

function waitSeconds(lockedUntil: number | null, now: number): number {
  return lockedUntil !== null && lockedUntil > now ? Math.ceil((lockedUntil - now) / 1000) : 0;
}

/**
 * Counts this attempt against the username and checks both keys. Returns the seconds to
 * wait (> 0: refuse without checking the password), or 0 to go on.
 */
export async function admitAttempt(deps: Deps, tenant: TenantRuntime, username: string, ip: string): Promise<number> {
  const now = deps.clock.now();
  const ipState = await deps.store.getThrottle(tenant.slug, ipKey(ip), now);
  const ipWait = waitSeconds(ipState.lockedUntil, now);
  if (ipWait > 0) return ipWait;
  // maxFailures + 1: the attempt after the last allowed failure is the one that locks.
  const u = await deps.store.addThrottleFailure(tenant.slug, userKey(username), rule(tenant, 1), now);
  return waitSeconds(u.lockedUntil, now);
}

/** A wrong password: the address's count (the username's was counted on admission). */
export async function recordFailure(deps: Deps, tenant: TenantRuntime, ip: string): Promise<void> {
  await deps.store.addThrottleFailure(tenant.slug, ipKey(ip), rule(tenant), deps.clock.now());
}

/** A success clears the username's count (not the address's: one IP may serve many users). */
export async function recordSuccess(deps: Deps, tenant: TenantRuntime, username: string): Promise<void> {
  await deps.store.clearThrottle(tenant.slug, userKey(username));
}
