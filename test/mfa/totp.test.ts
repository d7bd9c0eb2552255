// TOTP: secrets, the otpauth:// URI and its QR code, and matching codes. Codes are computed
// here from the secret at the test clock's time (as an authenticator app would), never
// fixed: a code of this step or one step either side matches and names its step; two steps
// away, malformed codes and malformed secrets do not.
import t from 'tap';
import { Secret, TOTP, URI } from 'otpauth';
import { matchTotp, newTotpSecret, totpQrSvg, totpUri } from '../../src/mfa/totp.js';
import { ManualClock } from '../../src/util/clock.js';

const STEP = 30_000;
const app = (secret: string) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
const codeAt = (secret: string, ms: number) => app(secret).generate({ timestamp: ms });

t.test('newTotpSecret: 20 random bytes in base32', async (t) => {
  const a = newTotpSecret();
  t.match(a, /^[A-Z2-7]{32}$/);
  t.equal(Secret.fromBase32(a).bytes.length, 20);
  const many = new Set(Array.from({ length: 50 }, () => newTotpSecret()));
  t.equal(many.size, 50, 'never the same twice');
});

t.test('totpUri: what an authenticator app reads', async (t) => {
  const secret = newTotpSecret();
  const uri = totpUri(secret, { issuer: 'Acme Corp', account: 'alice@example.com' });
  t.match(uri, /^otpauth:\/\/totp\//);
  const parsed = URI.parse(uri);
  t.ok(parsed instanceof TOTP);
  const totp = parsed as TOTP;
  t.equal(totp.issuer, 'Acme Corp');
  t.equal(totp.label, 'alice@example.com');
  t.equal(totp.secret.base32, secret);
  t.equal(totp.algorithm, 'SHA1');
  t.equal(totp.digits, 6);
  t.equal(totp.period, 30);
  // URI characters in a name stay one issuer and one account; a colon (the label's
  // separator, which the format forbids in names) becomes a dash.
  const odd = URI.parse(totpUri(secret, { issuer: 'A:B & C?#', account: 'x:y/z@é' })) as TOTP;
  t.equal(odd.issuer, 'A-B & C?#');
  t.equal(odd.label, 'x-y/z@é');
  t.equal(odd.secret.base32, secret);
});

t.test('totpQrSvg: an inline SVG without style or script, named for screen readers', async (t) => {
  const uri = totpUri(newTotpSecret(), { issuer: 'Acme', account: 'alice' });
  const svg = await totpQrSvg(uri);
  t.match(svg, /^<svg role="img" aria-label="QR code[^"]*" xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.match(svg, /<\/svg>\s*$/);
  t.notMatch(svg, /style=/i);
  t.notMatch(svg, /<script/i);
  t.notMatch(svg, uri, 'the secret is drawn, not written');
});

t.test('matchTotp: this step and one either side match and name their step', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 10));
  const secret = newTotpSecret();
  const step = Math.floor(clock.now() / STEP);
  t.equal(matchTotp(secret, codeAt(secret, clock.now()), clock.now()), step, 'the current code');
  t.equal(matchTotp(secret, codeAt(secret, clock.now() - STEP), clock.now()), step - 1, 'the previous code');
  t.equal(matchTotp(secret, codeAt(secret, clock.now() + STEP), clock.now()), step + 1, 'the next code');
  // The step is the code's, whatever moment of the window it is checked at.
  const code = codeAt(secret, clock.now());
  clock.advance(STEP);
  t.equal(matchTotp(secret, code, clock.now()), step, 'a code one step old still names its step');
});

t.test('matchTotp: two steps away, other secrets and malformed input are refused', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 10));
  const secret = newTotpSecret();
  const now = clock.now();
  t.equal(matchTotp(secret, codeAt(secret, now - 2 * STEP), now), null, 'two steps old');
  t.equal(matchTotp(secret, codeAt(secret, now + 2 * STEP), now), null, 'two steps ahead');
  const code = codeAt(secret, now);
  clock.advance(2 * STEP);
  t.equal(matchTotp(secret, code, clock.now()), null, 'the same code a minute later');
  const other = newTotpSecret();
  t.equal(matchTotp(other, code, now), null, "another user's secret");
  for (const bad of [
    '',
    code.slice(0, 5),
    `${code}0`,
    ` ${code}`,
    `${code.slice(0, 3)} ${code.slice(3)}`,
    `${code.slice(0, 5)}a`,
    '１２３４５６', // full-width digits
    '12345e',
    '-12345',
  ]) {
    t.equal(matchTotp(secret, bad, now), null, `not six ASCII digits: ${JSON.stringify(bad)}`);
  }
  t.equal(matchTotp(secret, 123456 as unknown as string, now), null, 'not a string');
  t.equal(matchTotp('not base32!', code, now), null, 'a malformed secret');
  t.equal(matchTotp(secret.slice(0, 16), code, now), null, 'a secret of another length');
  t.equal(matchTotp(secret, code, Number.NaN), null, 'no time');
});
