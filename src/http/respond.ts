// Writing responses: JSON, HTML pages, redirects and errors, with the headers every
// gateway answer carries (no-store, strict CSP on pages: scripts and fetches only from the
// gateway itself — the WebAuthn pages' external scripts — and nothing inline).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRORS, GatewayError, type ErrorCode } from '../errors.js';
import { html } from '../ui/html.js';
import { layout } from '../ui/layout.js';
import { tagError } from './error-code.js';
import { DEFAULT_PAGE_CSP } from './page-csp.js';

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Not no-referrer: under it a browser sends `Origin: null` with every form POST (Fetch,
  // "serializing a request origin") and the origin guard must refuse that. same-origin
  // still sends nothing to other sites.
  'referrer-policy': 'same-origin',
};

export function wantsHtml(req: Pick<IncomingMessage, 'headers'>): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/** SPEC §3: accepts text/html and is not an XHR. */
export function isBrowserRequest(req: Pick<IncomingMessage, 'headers'>): boolean {
  return wantsHtml(req) && req.headers['x-requested-with'] === undefined;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  page: string,
  headers: Record<string, string | string[]> = {},
): void {
  // A tenant's endpoints set their policy up front (page-csp.ts: where its forms may lead).
  const csp = res.hasHeader('content-security-policy') ? {} : { 'content-security-policy': DEFAULT_PAGE_CSP };
  res.writeHead(status, { ...PAGE_HEADERS, ...csp, 'content-length': Buffer.byteLength(page), ...headers });
  res.end(page);
}

export function redirect(
  res: ServerResponse,
  status: 302 | 303,
  location: string,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, { location, 'cache-control': 'no-store', 'content-length': 0, ...headers });
  res.end();
}

export function sendNoContent(res: ServerResponse, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(204, { 'cache-control': 'no-store', ...headers });
  res.end();
}

/**
 * A page of its own for the error `code` (rendered with `errorCode: code`, so its small print
 * names it), with the code's status and X-Auth-Error-Code header.
 */
export function sendErrorPage(
  res: ServerResponse,
  code: ErrorCode,
  page: string,
  headers: Record<string, string | string[]> = {},
): void {
  tagError(res, code);
  sendHtml(res, ERRORS[code].status, page, headers);
}

/** A JSON error answer `{error, error_description, code}` with the code's status and header. */
export function sendJsonError(
  res: ServerResponse,
  code: ErrorCode,
  body: { error: string; error_description: string } & Record<string, unknown>,
  headers: Record<string, string | string[]> = {},
): void {
  tagError(res, code);
  sendJson(res, ERRORS[code].status, { ...body, code }, headers);
}

/**
 * An error as HTML for browsers (its code in the small print), JSON `{error,
 * error_description, code}` otherwise; both with the X-Auth-Error-Code header.
 */
export function sendError(
  req: Pick<IncomingMessage, 'headers' | 'method'>,
  res: ServerResponse,
  err: GatewayError | ErrorCode,
  opts: { slug?: string; headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
): void {
  const e = typeof err === 'string' ? new GatewayError(err) : err;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = opts.headers ?? {};
  tagError(res, e.code);
  if (wantsHtml(req)) {
    const page = layout(
      { slug: opts.slug ?? '_', title: `${e.status} ${e.message}`, errorCode: e.code },
      html`<h1>${String(e.status)}</h1><p>${e.message}</p>`,
    );
    sendHtml(res, e.status, req.method === 'HEAD' ? '' : page, headers);
    return;
  }
  sendJson(res, e.status, { error: e.error, error_description: e.message, code: e.code, ...opts.extra }, headers);
}

export { ERRORS };
