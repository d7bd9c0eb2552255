// RFC 6749 §4.1.2 / §10.5: a code presented a second time is refused, and the tokens
// issued for its first redemption are revoked — the first redeemer may be the attacker.
// After a redemption a one-time marker (its own key, next to the codes: SHA-256 of a
// domain prefix and the code) remembers which token session the code created; the first
// replay takes the marker and revokes that session (its refresh token at once; its access
// tokens with it, since they carry its sid). Codes live 60 s, so a marker of 10 minutes
// outlives any replay of a code that was still valid.
import { createHash } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import { endSession } from '../session/end-session.js';

export const REDEMPTION_MARKER_TTL_MS = 10 * 60_000;

function markerHash(code: string): string {
  return createHash('sha256').update('gk-redeemed-code\0').update(code).digest('hex');
}

/** The code created token session `sessionId`. */
export async function rememberRedemption(deps: Deps, tenant: TenantRuntime, code: string, sessionId: string): Promise<void> {
  await deps.store.saveAuthCode(tenant.slug, markerHash(code), sessionId, REDEMPTION_MARKER_TTL_MS);
}

/** The code was not redeemable: if it had been redeemed, revoke what that created. */
export async function revokeReplayedCode(deps: Deps, tenant: TenantRuntime, code: string, ip: string): Promise<boolean> {
  const sessionId = await deps.store.takeAuthCode(tenant.slug, markerHash(code));
  if (!sessionId) return false;
  const session = await deps.store.getSession(tenant.slug, sessionId);
  if (!session) return false;
  await endSession(deps, session, 'code_reuse', ip);
  return true;
}
