// The session cookie: its name (SPEC §4 prefixes), its attributes, and its value
// `<sessionId>.<secret>`. Parsing of the Cookie header itself is the `cookie` library's.
import { serialize } from 'cookie';
import type { TenantSettings } from '../config/types.js';
import { isSessionId } from './ids.js';

export interface CookieSpec {
  name: string;
  /** This cookie and the login form's: removed from what the upstream sees and sets. */
  gatewayNames: ReadonlySet<string>;
  secure: boolean;
  sameSite: 'strict' | 'lax';
  domain: string | null;
}

export function cookieSpec(publicUrl: string, slug: string, settings: Pick<TenantSettings, 'cookie'>): CookieSpec {
  const secure = publicUrl.startsWith('https:');
  const domain = settings.cookie.domain;
  // __Host- forbids Domain; a shared cookie across subdomains needs __Secure- instead.
  const prefix = secure ? (domain ? '__Secure-' : '__Host-') : '';
  const name = `${prefix}gk_${slug}`;
  return {
    name,
    gatewayNames: new Set([name, loginCookieName(name)]),
    secure,
    sameSite: settings.cookie.sameSite,
    domain,
  };
}

export function serializeSessionCookie(spec: CookieSpec, value: string, maxAgeSeconds: number | null): string {
  return serialize(spec.name, value, {
    httpOnly: true,
    secure: spec.secure,
    sameSite: spec.sameSite,
    path: '/',
    ...(spec.domain ? { domain: spec.domain } : {}),
    ...(maxAgeSeconds !== null ? { maxAge: maxAgeSeconds } : {}),
  });
}

export function clearSessionCookie(spec: CookieSpec): string {
  return serializeSessionCookie(spec, '', 0);
}

export interface CookieValue {
  sessionId: string;
  secret: string;
}

const SECRET_RE = /^[A-Za-z0-9_-]{43}$/;

/** null for anything that is not exactly `<sessionId>.<secret>` as we issue them. */
export function parseCookieValue(value: string): CookieValue | null {
  const dot = value.indexOf('.');
  if (dot < 0) return null;
  const sessionId = value.slice(0, dot);
  const secret = value.slice(dot + 1);
  if (!isSessionId(sessionId) || !SECRET_RE.test(secret)) return null;
  return { sessionId, secret };
}

export function formatCookieValue(sessionId: string, secret: string): string {
  return `${sessionId}.${secret}`;
}

/** The login form's double-submit CSRF cookie sits beside the session cookie (same prefix). */
export function loginCookieName(sessionCookieName: string): string {
  return `${sessionCookieName}_login`;
}

export function serializeLoginCookie(spec: CookieSpec, nonce: string): string {
  // Host-only even when the session cookie is shared across subdomains.
  return serialize(loginCookieName(spec.name), nonce, {
    httpOnly: true,
    secure: spec.secure,
    sameSite: 'lax',
    path: '/',
    maxAge: nonce ? 3600 : 0,
  });
}
