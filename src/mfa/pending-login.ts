// A sign-in between its two steps (SPEC §13): the first factor (password or identity
// provider) has been checked, the second has not, and no session exists yet. It is kept in
// the store under the hash of a random id that only this browser holds, in an HttpOnly
// cookie scoped to the login pages, for a few minutes; the second step takes it once, so
// a completed (or replayed) second step finds nothing.
import { createHash, randomBytes } from 'node:crypto';
import { serialize } from 'cookie';
import type { CookieSpec } from '../session/cookie.js';
import type { SessionRecord } from '../store/sessions.js';
import type { FederationStore } from '../store/federation.js';

export interface PendingLogin {
  userId: string;
  /** The first factor, as the session will record it: `password` or `oidc:{id}`. */
  authMethod: string;
  amr: readonly string[];
  /** epoch ms of the first factor (an IdP's auth_time may be older than the flow). */
  authTime: number;
  rememberMe: boolean;
  /** Where to go afterwards (already checked by safeRedirect). */
  rd: string;
  /** A user signed in at an identity provider: what the session will carry (SPEC §12). */
  federated?: Required<Pick<SessionRecord, 'profile' | 'idp'>>;
  /** epoch ms */
  startedAt: number;
}

/** Long enough to find the phone or the key; short enough that a password alone is soon worthless. */
export const PENDING_TTL_MS = 5 * 60_000;
const ID_RE = /^[A-Za-z0-9_-]{43}$/;

export const pendingCookieName = (spec: CookieSpec): string => `${spec.name}_mfa`;

export function serializePendingCookie(spec: CookieSpec, value: string): string {
  // Host-only, Strict is not needed: only the gateway's own login pages read it.
  return serialize(pendingCookieName(spec), value, {
    httpOnly: true,
    secure: spec.secure,
    sameSite: 'lax',
    path: '/',
    maxAge: value ? PENDING_TTL_MS / 1000 : 0,
  });
}

const hashOf = (id: string): string => createHash('sha256').update('gk-mfa-pending\0').update(id).digest('hex');

/** Saves the pending sign-in; returns the cookie value that names it. */
export async function savePending(
  store: Pick<FederationStore, 'saveFlow'>,
  tenant: string,
  pending: PendingLogin,
): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  await store.saveFlow(tenant, hashOf(id), JSON.stringify(pending), PENDING_TTL_MS);
  return id;
}

function parse(raw: string | null): PendingLogin | null {
  if (!raw) return null;
  const p = JSON.parse(raw) as PendingLogin;
  return typeof p.userId === 'string' && Array.isArray(p.amr) ? p : null;
}

const valid = (cookieValue: string | undefined): cookieValue is string =>
  cookieValue !== undefined && ID_RE.test(cookieValue);

/** The pending sign-in the cookie names, left in place (the second-step page shows it). */
export async function peekPending(
  store: Pick<FederationStore, 'peekFlow'>,
  tenant: string,
  cookieValue: string | undefined,
): Promise<PendingLogin | null> {
  return valid(cookieValue) ? parse(await store.peekFlow(tenant, hashOf(cookieValue))) : null;
}

/** Takes (deletes) the pending sign-in in one step: of two parallel second steps, one gets it. */
export async function takePending(
  store: Pick<FederationStore, 'takeFlow'>,
  tenant: string,
  cookieValue: string | undefined,
): Promise<PendingLogin | null> {
  return valid(cookieValue) ? parse(await store.takeFlow(tenant, hashOf(cookieValue))) : null;
}
