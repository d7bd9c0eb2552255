// The static assets of the pages (CSP: style-src 'self', script-src 'self', nothing inline):
// the one stylesheet, the WebAuthn library (the @simplewebauthn/browser UMD bundle, global
// SimpleWebAuthnBrowser) and the page script that drives it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { GatewayContext } from '../context.js';
import { PAGE_CSS } from '../../ui/layout.js';
import { MFA_SCRIPT } from '../../ui/mfa-script.js';

function sendAsset(ctx: GatewayContext<unknown>, contentType: string, body: string): void {
  ctx.res.writeHead(200, {
    'content-type': contentType,
    'cache-control': 'public, max-age=3600',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(body),
  });
  ctx.res.end(body);
}

export async function getStylesheet(ctx: GatewayContext<unknown>): Promise<void> {
  ctx.res.writeHead(200, {
    'content-type': 'text/css; charset=utf-8',
    'cache-control': 'public, max-age=3600',
    'content-length': Buffer.byteLength(PAGE_CSS),
  });
  ctx.res.end(PAGE_CSS);
}

/**
 * The bundle's path in the installed package. The package exports only its entry point
 * (not package.json, not dist/), so resolve that and step up from script/index.js.
 */
export function webAuthnBundlePath(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js');
}

let webAuthnBundle: string | undefined;

/** Read once, on first use: pages without WebAuthn never touch the file. */
function loadWebAuthnBundle(): string {
  webAuthnBundle ??= readFileSync(webAuthnBundlePath(), 'utf8');
  return webAuthnBundle;
}

export async function getWebAuthnScript(ctx: GatewayContext<unknown>): Promise<void> {
  sendAsset(ctx, 'application/javascript; charset=utf-8', loadWebAuthnBundle());
}

export async function getMfaScript(ctx: GatewayContext<unknown>): Promise<void> {
  sendAsset(ctx, 'application/javascript; charset=utf-8', MFA_SCRIPT);
}
