// RFC 6749 §4.1.2 / §10.5: a code presented a second time is refused, and the tokens
// issued for its first redemption are revoked — the first redeemer may be the attacker —
// even when the two redemptions race (SPEC §4).
//
// How it stays race-free, with one-key operations only (atomic on both stores):
//  - the token session a code will create gets its id when the code is issued, and a
//    redemption marker (code → that id) is saved BEFORE the code itself: nobody can hold a
//    code whose marker does not exist yet;
//  - a replay (the code is gone) takes the marker, saves a tombstone for that session id,
//    then ends the session (end-session.ts);
//  - the first redemption creates the session, then takes the tombstone: if it is there,
//    it ends the session itself and hands out nothing.
// Either the replay's tombstone is written before the redemption looks for it (the
// redemption gives up), or the redemption's session exists before the replay ends it.
// Markers and tombstones live beside the codes (SHA-256 of a domain prefix and the code or
// the id); codes live 60 s, so a marker of 10 minutes outlives any replay of a valid code.
import { createHash } from 'node:crypto';
import type { SessionStore } from '../store/types.js';
import type { TenantRuntime } from '../registry.js';
import { endSession, type EndDeps } from '../session/end-session.js';
import { isSessionId } from '../session/ids.js';

/** One-time records in the code store, and ending the session a replay reaches. */
export type CodeReplayDeps = EndDeps & { store: Pick<SessionStore, 'saveAuthCode' | 'takeAuthCode'> };

export const REDEMPTION_MARKER_TTL_MS = 10 * 60_000;

interface Marker {
  sid: string;
  uid: string;
}

function markerHash(code: string): string {
  return createHash('sha256').update('gk-redeemed-code\0').update(code).digest('hex');
}

function tombstoneHash(sessionId: string): string {
  return createHash('sha256').update('gk-replayed-redemption\0').update(sessionId).digest('hex');
}

/** Before the code is saved: the code will create token session `sessionId` of `userId`. */
export async function saveRedemptionMarker(
  deps: CodeReplayDeps,
  tenant: TenantRuntime,
  code: string,
  sessionId: string,
  userId: string,
): Promise<void> {
  const marker: Marker = { sid: sessionId, uid: userId };
  await deps.store.saveAuthCode(tenant.slug, markerHash(code), JSON.stringify(marker), REDEMPTION_MARKER_TTL_MS);
}

function parseMarker(raw: string): Marker | null {
  try {
    const m = JSON.parse(raw) as Partial<Marker>;
    return typeof m.sid === 'string' && isSessionId(m.sid) && typeof m.uid === 'string'
      ? { sid: m.sid, uid: m.uid }
      : null;
  } catch {
    return null;
  }
}

/**
 * The code was not redeemable: end what its redemption created or is creating. Returns
 * whether a session with tokens existed (for the error description only).
 */
export async function revokeReplayedCode(
  deps: CodeReplayDeps,
  tenant: TenantRuntime,
  code: string,
  ip: string,
): Promise<boolean> {
  const raw = await deps.store.takeAuthCode(tenant.slug, markerHash(code));
  const marker = raw === null ? null : parseMarker(raw);
  if (!marker) return false;
  // First the tombstone (a redemption still under way sees it), then the end of the session.
  await deps.store.saveAuthCode(tenant.slug, tombstoneHash(marker.sid), '1', REDEMPTION_MARKER_TTL_MS);
  return endSession(deps, { tenant: tenant.slug, userId: marker.uid, id: marker.sid }, 'code_reuse', ip);
}

/**
 * After the redemption saved its session: whether a replay came meanwhile. If so the
 * session is ended here (it may have been created after the replay's own attempt).
 */
export async function redemptionWasReplayed(
  deps: CodeReplayDeps,
  tenant: TenantRuntime,
  sessionId: string,
  userId: string,
  ip: string,
): Promise<boolean> {
  if ((await deps.store.takeAuthCode(tenant.slug, tombstoneHash(sessionId))) === null) return false;
  await endSession(deps, { tenant: tenant.slug, userId, id: sessionId }, 'code_reuse', ip);
  return true;
}
