// @ts-check
// Access tokens a resource server must refuse, made from one valid gateway token: signed
// by another key under the same kid (forged), signed by the gateway's own key but expired,
// for another issuer or another audience, and the valid token with its signature altered.
// Used to check that a reference resource server really authenticates before it is measured.
import { readFile } from 'node:fs/promises';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK } from 'jose';

/**
 * @param {string} valid  a token the gateway issued
 * @param {string} keysFile  the gateway's private JWKS (`keys generate`)
 * @returns {Promise<Record<string, string>>}  what is wrong with it -> token
 */
export async function badTokens(valid, keysFile) {
  const header = decodeProtectedHeader(valid);
  const claims = decodeJwt(valid);
  const alg = header.alg;
  if (typeof alg !== 'string') throw new Error('the gateway token has no alg');
  /** @type {{ keys: (import('jose').JWK & { kid?: string })[] }} */
  const jwks = JSON.parse(await readFile(keysFile, 'utf8'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`the gateway's keys file has no key ${header.kid}`);
  const own = await importJWK(jwk, alg);
  const other = (await generateKeyPair(alg)).privateKey;
  const now = Math.floor(Date.now() / 1000);
  /** @param {import('jose').JWTPayload} payload @param {import('jose').CryptoKey | Uint8Array} key */
  const sign = (payload, key) => new SignJWT(payload).setProtectedHeader({ ...header, alg }).sign(key);
  const [head, body, sig = ''] = valid.split('.');
  // Flip bits in the middle of the signature (its last characters may carry padding bits).
  const mid = Math.floor(sig.length / 2);
  const flipped = sig.slice(0, mid) + (sig[mid] === 'A' ? 'B' : 'A') + sig.slice(mid + 1);
  return {
    'signed by another key with the same kid': await sign(claims, other),
    'expired an hour ago (signed by the gateway key)': await sign({ ...claims, iat: now - 7200, exp: now - 3600 }, own),
    'of another issuer (signed by the gateway key)': await sign({ ...claims, iss: 'http://evil.test/t/bench' }, own),
    'for another audience (signed by the gateway key)': await sign({ ...claims, aud: 'http://evil.test/t/bench' }, own),
    'with its signature altered': `${head}.${body}.${flipped}`,
  };
}
