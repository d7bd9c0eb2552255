// TOTP second factor (RFC 6238, SPEC §13) with the parameters every authenticator app
// understands: a 20-byte secret, HMAC-SHA1, 6 digits, 30-second steps. A code is accepted
// within ±1 step (clock drift, a code typed as it changes); the caller makes it count once
// by storing the matched step (FactorStore.acceptTotpStep). Time always comes from the
// caller's clock, never from Date.now(), so tests move time by hand.
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

const ALGORITHM = 'SHA1';
const DIGITS = 6;
const PERIOD_S = 30;
const SECRET_BYTES = 20;
const CODE = /^[0-9]{6}$/;
/** A 20-byte secret in base32 (RFC 4648, no padding). */
const SECRET_BASE32 = /^[A-Z2-7]{32}$/;

/** A new random shared secret, base32 (what the QR code and the text field show). */
export function newTotpSecret(): string {
  return new Secret({ buffer: new Uint8Array(randomBytes(SECRET_BYTES)).buffer }).base32;
}

function totp(secret: string, label: string, issuer: string): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secret),
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_S,
  });
}

/**
 * The otpauth:// URI an authenticator app scans: issuer (the tenant's display name) and
 * account (the username) are what the app shows next to the codes. The key URI format
 * splits its label "issuer:account" on the colon and allows none in either, so a colon in
 * a name is shown as a dash.
 */
export function totpUri(secret: string, who: { issuer: string; account: string }): string {
  const noColon = (s: string) => s.replace(/:/g, '-');
  return totp(secret, noColon(who.account), noColon(who.issuer)).toString();
}

/**
 * The URI as an inline SVG QR code, safe to put in a page under the strict CSP (no inline
 * style, no script) and named for screen readers.
 */
export async function totpQrSvg(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  // The page CSP has no 'unsafe-inline': an inline style would be dropped, a script is never ours.
  if (/style\s*=|<script|<foreignObject|\son[a-z]+\s*=/i.test(svg) || !svg.startsWith('<svg ')) {
    throw new Error('unexpected QR code SVG output');
  }
  return svg.replace('<svg ', '<svg role="img" aria-label="QR code for your authenticator app" ');
}

/**
 * The time step a code was made for, when `code` is exactly six digits and valid for
 * `secret` at `nowMs` or one step either side; otherwise null (also for a malformed secret).
 */
export function matchTotp(secret: string, code: string, nowMs: number): number | null {
  if (typeof code !== 'string' || !CODE.test(code)) return null;
  if (typeof secret !== 'string' || !SECRET_BASE32.test(secret) || !Number.isFinite(nowMs)) return null;
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secret),
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_S,
    timestamp: nowMs,
    window: 1,
  });
  return delta === null ? null : Math.floor(nowMs / (PERIOD_S * 1000)) + delta;
}
