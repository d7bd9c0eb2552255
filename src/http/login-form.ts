// What the sign-in forms share (the password form, the second step, passkey sign-in): the
// double-submit token of the login pages with the same-site check, `rd` and `max_age` as
// the forms carry them, and a JSON form field (a WebAuthn response) read without throwing.
import { readSessionCookie } from '../authn/cookie-session.js';
import { GatewayError, type ErrorCode } from '../errors.js';
import { loginCookieName, serializeLoginCookie } from '../session/cookie.js';
import { newLoginNonce } from '../session/csrf.js';
import { constantTimeEqual } from '../util/constant-time.js';
import type { GatewayContext } from './context.js';
import { isSameSiteRequest } from './origin-guard.js';
import { safeRedirect } from './redirect.js';
import { sendErrorPage, sendHtml } from './respond.js';

type FormContext = Pick<GatewayContext<unknown>, 'req' | 'tenant' | 'publicUrl'>;

/**
 * A login-page post may change state: same-site, and `token` equals the nonce of the login
 * cookie (double submit). Returns the nonce; throws ERR_GK_CSRF otherwise.
 */
export function checkLoginToken(ctx: FormContext, token: string): string {
  const { req, tenant } = ctx;
  if (!isSameSiteRequest(req, ctx.publicUrl, tenant)) throw new GatewayError('ERR_GK_CSRF', 'cross-site login post');
  const nonce = readSessionCookie(req.headers.cookie, loginCookieName(tenant.cookie.name));
  if (!nonce || !token || !constantTimeEqual(nonce, token))
    throw new GatewayError('ERR_GK_CSRF', 'login csrf mismatch');
  return nonce;
}

/** Where to go afterwards: checked by safeRedirect (publicUrl, the tenant's app hosts, a path). */
export function loginRd(ctx: Pick<FormContext, 'tenant' | 'publicUrl'>, raw: string | null | undefined): string {
  return safeRedirect(raw ?? undefined, { publicUrl: ctx.publicUrl, hosts: ctx.tenant.appHosts });
}

/** max_age=N in seconds, or null when absent or malformed (malformed is ignored, not trusted). */
export function maxAgeOf(raw: string | null): number | null {
  return raw !== null && /^\d{1,9}$/.test(raw) ? Number(raw) : null;
}

/** A form field holding JSON (a WebAuthn response): the value, or null when it is not JSON. */
export function parseJsonField(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return null;
  }
}

/**
 * Answers a login-form page (the password form, the second step): a fresh double-submit
 * nonce in the login cookie and in the page `build` makes with it; 200, or the status of
 * the error `code` with the code in its small print.
 */
export function sendLoginFormPage(
  ctx: Pick<GatewayContext<unknown>, 'res' | 'tenant'>,
  code: ErrorCode | null,
  build: (nonce: string) => string,
  headers: Record<string, string> = {},
): void {
  const nonce = newLoginNonce();
  const page = build(nonce);
  const all = { ...headers, 'set-cookie': serializeLoginCookie(ctx.tenant.cookie, nonce) };
  if (code === null) return sendHtml(ctx.res, 200, page, all);
  sendErrorPage(ctx.res, code, page, all);
}
