// Answers a pipeline refusal for proxied traffic per the SPEC §3 decision table: browsers
// are redirected to login, APIs get 401 with WWW-Authenticate (RFC 6750 / RFC 9470).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import type { Decision } from '../pipeline/scope.js';
import { tagError } from './error-code.js';
import { isBrowserRequest, redirect, sendError } from './respond.js';

type Deny = Extract<Decision, { kind: 'deny' }>;

/** Where a browser goes for a second factor (SPEC §13): the second step, keeping the session. */
export function mfaUrl(slug: string, originalUrl: string, maxAge?: number): string {
  const q = new URLSearchParams();
  if (maxAge !== undefined) q.set('max_age', String(maxAge));
  q.set('rd', originalUrl);
  return `/t/${slug}/login/mfa?${q.toString()}`;
}

/** The RFC 9470 challenge for a missing or too old second factor. */
export function mfaChallenge(slug: string, maxAge: number | undefined): string {
  return `Bearer realm="${slug}", error="insufficient_user_authentication", error_description="A second factor is required", acr_values="mfa"${maxAge !== undefined ? `, max_age=${maxAge}` : ''}`;
}

/** The JSON members of an RFC 9470 refusal beside error and error_description. */
export function stepUpExtra(code: string, maxAge: number | undefined): Record<string, unknown> {
  if (code === 'ERR_GK_MFA_REQUIRED')
    return { acr_values: 'mfa', ...(maxAge !== undefined ? { max_age: maxAge } : {}) };
  if (code === 'ERR_GK_REAUTH_REQUIRED') return { max_age: maxAge };
  return {};
}

/** Where a browser is sent to satisfy the refusal `code`. */
export function stepUrl(slug: string, code: string, originalUrl: string, maxAge: number | undefined): string {
  if (code === 'ERR_GK_MFA_REQUIRED') return mfaUrl(slug, originalUrl, maxAge);
  return loginUrl(slug, originalUrl, code === 'ERR_GK_REAUTH_REQUIRED' ? maxAge : undefined);
}

/** Refusals a new sign-in step can cure: the browser is sent to it, others get the challenge. */
export const STEP_CODES: ReadonlySet<string> = new Set([
  'ERR_GK_UNAUTHENTICATED',
  'ERR_GK_REAUTH_REQUIRED',
  'ERR_GK_MFA_REQUIRED',
]);

export function loginUrl(slug: string, originalUrl: string, maxAge?: number): string {
  const q = new URLSearchParams();
  if (maxAge !== undefined) {
    q.set('prompt', 'login');
    q.set('max_age', String(maxAge));
  }
  q.set('rd', originalUrl);
  return `/t/${slug}/login?${q.toString()}`;
}

export function challenge(slug: string, d: Pick<Deny, 'code' | 'maxAge' | 'bearer'>): string {
  if (d.code === 'ERR_GK_MFA_REQUIRED') return mfaChallenge(slug, d.maxAge);
  if (d.code === 'ERR_GK_REAUTH_REQUIRED') {
    return `Bearer realm="${slug}", error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=${d.maxAge ?? 0}`;
  }
  if (d.bearer)
    return `Bearer realm="${slug}", error="invalid_token", error_description="The access token is invalid, expired or revoked"`;
  return `Bearer realm="${slug}"`;
}

export function answerDenied(
  req: IncomingMessage,
  res: ServerResponse,
  d: Deny,
  slug: string | undefined,
  originalUrl: string,
): void {
  const browserNav = isBrowserRequest(req) && (req.method === 'GET' || req.method === 'HEAD');
  const err = new GatewayError(d.code, d.reason);
  if (slug && STEP_CODES.has(d.code)) {
    if (browserNav) {
      tagError(res, d.code);
      return redirect(res, 302, stepUrl(slug, d.code, originalUrl, d.maxAge));
    }
    return sendError(req, res, err, {
      slug,
      headers: { 'www-authenticate': challenge(slug, d) },
      extra: stepUpExtra(d.code, d.maxAge),
    });
  }
  sendError(req, res, err, slug ? { slug } : {});
}
