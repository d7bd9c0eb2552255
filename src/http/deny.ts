// Answers a pipeline refusal for proxied traffic per the SPEC §3 decision table: browsers
// are redirected to login, APIs get 401 with WWW-Authenticate (RFC 6750 / RFC 9470).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import type { Decision } from '../pipeline/scope.js';
import { tagError } from './error-code.js';
import { isBrowserRequest, redirect, sendError } from './respond.js';

type Deny = Extract<Decision, { kind: 'deny' }>;

export function loginUrl(slug: string, originalUrl: string, maxAge?: number): string {
  const q = new URLSearchParams();
  if (maxAge !== undefined) {
    q.set('prompt', 'login');
    q.set('max_age', String(maxAge));
  }
  q.set('rd', originalUrl);
  return `/t/${slug}/login?${q.toString()}`;
}

export function challenge(slug: string, d: Deny): string {
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
  if (slug && (d.code === 'ERR_GK_UNAUTHENTICATED' || d.code === 'ERR_GK_REAUTH_REQUIRED')) {
    if (browserNav) {
      tagError(res, d.code);
      return redirect(
        res,
        302,
        loginUrl(slug, originalUrl, d.code === 'ERR_GK_REAUTH_REQUIRED' ? d.maxAge : undefined),
      );
    }
    return sendError(req, res, err, {
      slug,
      headers: { 'www-authenticate': challenge(slug, d) },
      ...(d.code === 'ERR_GK_REAUTH_REQUIRED' ? { extra: { max_age: d.maxAge } } : {}),
    });
  }
  sendError(req, res, err, slug ? { slug } : {});
}
