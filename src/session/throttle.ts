// Login throttling (SPEC §2 loginThrottle): failures are counted per username and per
// client IP in the store; at maxFailures the key is locked for `lockout`. Unknown
// usernames count like known ones, so the answers never tell them apart.
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';

function keys(username: string, ip: string): string[] {
  return [`u:${username.toLowerCase()}`, `ip:${ip}`];
}

/** Seconds until the first lock ends, or 0 when neither key is locked. */
export async function lockedFor(deps: Deps, tenant: TenantRuntime, username: string, ip: string): Promise<number> {
  const now = deps.clock.now();
  const states = await Promise.all(keys(username, ip).map((k) => deps.store.getThrottle(tenant.slug, k, now)));
  const until = Math.max(0, ...states.map((s) => s.lockedUntil ?? 0));
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

export async function recordFailure(deps: Deps, tenant: TenantRuntime, username: string, ip: string): Promise<void> {
  const t = tenant.settings.loginThrottle;
  const rule = { windowMs: t.window * 1000, maxFailures: t.maxFailures, lockoutMs: t.lockout * 1000 };
  const now = deps.clock.now();
  await Promise.all(keys(username, ip).map((k) => deps.store.addThrottleFailure(tenant.slug, k, rule, now)));
}

/** A successful login clears the username's count (not the address's: one IP may try many users). */
export async function recordSuccess(deps: Deps, tenant: TenantRuntime, username: string): Promise<void> {
  await deps.store.clearThrottle(tenant.slug, `u:${username.toLowerCase()}`);
}
