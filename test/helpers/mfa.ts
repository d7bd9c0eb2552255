// Second-factor helpers for the HTTP tests: TOTP codes computed from an enrolled secret at
// the gateway's clock (never a fixed code), and form fields read back from a page.
import { TOTP } from 'otpauth';

/** The 6-digit TOTP code of `secret` at `ms` (SHA-1, 30-second steps: the gateway's). */
export function codeAt(secret: string, ms: number): string {
  return new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: ms });
}

/** A hidden or text field's value in a page, unescaped as a browser would. */
export function field(body: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(body);
  if (!m) throw new Error(`no ${name} field`);
  return m[1]!
    .replace(/&amp;/g, '&')
    .replace(/&#x2F;/g, '/')
    .replace(/&quot;/g, '"');
}

/** The TOTP secret the setup page shows (grouped by four), as one base32 string. */
export function totpSecretOf(body: string): string {
  const m = /id="totp-secret">([A-Z2-7 ]+)</.exec(body);
  if (!m) throw new Error('no TOTP secret on the page');
  return m[1]!.replace(/ /g, '');
}
