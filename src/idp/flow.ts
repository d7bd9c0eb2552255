// A sign-in at an identity provider in progress (SPEC §12): state, nonce, the PKCE
// verifier, where to go afterwards and the step-up asked for, kept in the store under the
// hash of a random id that only this browser holds in an HttpOnly cookie. The callback
// takes the flow once: a replayed or forged state, or a callback in another browser,
// finds nothing.
import { createHash, randomBytes } from 'node:crypto';
import { serialize } from 'cookie';
import type { CookieSpec } from '../session/cookie.js';
import type { FederationStore } from '../store/federation.js';

export interface LoginFlow {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where to go after the sign-in (already checked by safeRedirect). */
  rd: string;
  prompt: 'login' | null;
  maxAge: number | null;
  /** epoch ms: with prompt=login, the IdP's auth_time must not be older. */
  startedAt: number;
  /** The callback URL sent as redirect_uri (the host the sign-in started on); absent in flows saved by older versions. */
  redirectUri?: string;
}

/** Long enough to type a password and a second factor at the IdP; short enough to be useless later. */
export const FLOW_TTL_MS = 10 * 60_000;
const ID_RE = /^[A-Za-z0-9_-]{43}$/;

export const flowCookieName = (spec: CookieSpec): string => `${spec.name}_oidc`;

export function serializeFlowCookie(spec: CookieSpec, value: string): string {
  // Host-only and Lax: the callback is a top-level GET navigation from the IdP's site.
  return serialize(flowCookieName(spec), value, {
    httpOnly: true,
    secure: spec.secure,
    sameSite: 'lax',
    path: '/',
    maxAge: value ? FLOW_TTL_MS / 1000 : 0,
  });
}

const hashOf = (id: string): string => createHash('sha256').update('gk-oidc-flow\0').update(id).digest('hex');

/** Saves the flow; returns the cookie value that names it. */
export async function saveFlow(
  store: Pick<FederationStore, 'saveFlow'>,
  tenant: string,
  flow: LoginFlow,
): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  await store.saveFlow(tenant, hashOf(id), JSON.stringify(flow), FLOW_TTL_MS);
  return id;
}

/** The flow the cookie names, taken (deleted) in the same step; null when absent, used or expired. */
export async function takeFlow(
  store: Pick<FederationStore, 'takeFlow'>,
  tenant: string,
  cookieValue: string | undefined,
): Promise<LoginFlow | null> {
  if (!cookieValue || !ID_RE.test(cookieValue)) return null;
  const raw = await store.takeFlow(tenant, hashOf(cookieValue));
  return raw ? (JSON.parse(raw) as LoginFlow) : null;
}
