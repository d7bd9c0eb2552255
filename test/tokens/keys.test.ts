// Signing keys: a JWKS file with rotation (the first usable key signs, every key verifies),
// expired keys never sign, a key of the wrong type is refused, every algorithm works.
import t from 'tap';
import { join } from 'node:path';
import { issueAccessToken, verifyAccessToken } from '../../src/tokens/access-token.js';
import { generateJwks, keySetFromJwks, loadKeySet } from '../../src/tokens/keys.js';
import { createLogger } from '../../src/util/log.js';
import type { Algorithm } from '../../src/config/types.js';

const NOW = Date.UTC(2026, 10, 26);
const issue = (keys: Awaited<ReturnType<typeof keySetFromJwks>>) =>
  issueAccessToken(keys, {
    issuer: 'https://gw/t/a',
    subject: 'u1',
    audience: 'https://gw/t/a',
    clientId: 'c',
    scope: '',
    sessionId: null,
    authTime: null,
    tenant: 'a',
    roles: [],
    lifetimeSeconds: 60,
    now: NOW,
  });
const verify = (keys: Awaited<ReturnType<typeof keySetFromJwks>>, token: string) =>
  verifyAccessToken(keys, token, { issuer: 'https://gw/t/a', audience: 'https://gw/t/a', tenant: 'a', now: NOW });

for (const alg of ['RS256', 'ES256', 'EdDSA'] as Algorithm[]) {
  t.test(`${alg}: sign and verify, kid on the token, public JWKS without private parts`, async (t) => {
    const keys = await keySetFromJwks(await generateJwks(alg), alg, NOW / 1000);
    const { token } = await issue(keys);
    t.equal((await verify(keys, token)).ok, true);
    const pub = keys.jwks.keys[0]!;
    t.equal(pub.kid, keys.signing.kid);
    t.equal(pub.d, undefined, 'no private part in the public JWKS');
  });
}

t.test('rotation: the new key signs, tokens of the old key still verify; expired keys never sign', async (t) => {
  const old = (await generateJwks('RS256')).keys[0]!;
  const next = (await generateJwks('RS256')).keys[0]!;
  const before = await keySetFromJwks({ keys: [old] }, 'RS256', NOW / 1000);
  const { token: oldToken } = await issue(before);
  // The old key, now expired, stays listed for verification; the new one signs.
  const rotated = await keySetFromJwks({ keys: [{ ...old, exp: NOW / 1000 - 1 }, next] }, 'RS256', NOW / 1000);
  t.equal(rotated.signing.kid, next.kid, 'the first key without a past exp signs');
  t.equal((await verify(rotated, oldToken)).ok, true, 'a token of the previous key still verifies');
  const { token: fresh } = await issue(rotated);
  t.equal((await verify(before, fresh)).ok, false, 'an instance without the new key refuses its tokens (unknown kid)');
});

t.test('bad key files are refused with a clear message', async (t) => {
  const ec = await generateJwks('ES256');
  await t.rejects(keySetFromJwks(ec, 'RS256', NOW / 1000), /not a RS256 key/);
  const rsa = (await generateJwks('RS256')).keys[0]!;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = rsa;
  await t.rejects(keySetFromJwks({ keys: [pub] }, 'RS256', NOW / 1000), /no usable signing key/);
  await t.rejects(keySetFromJwks({ keys: [rsa, rsa] }, 'RS256', NOW / 1000), /duplicate kid/);
  const dir = t.testdir({
    'bad.json': '{ not json',
    'empty.json': '{"keys": []}',
    'good.json': JSON.stringify(await generateJwks('EdDSA')),
  });
  const log = createLogger({ level: 'silent' });
  await t.rejects(loadKeySet({ file: join(dir, 'bad.json'), algorithm: 'RS256' }, log, NOW), /not valid JSON/);
  await t.rejects(loadKeySet({ file: join(dir, 'empty.json'), algorithm: 'RS256' }, log, NOW), /no "keys"/);
  const good = await loadKeySet({ file: join(dir, 'good.json'), algorithm: 'EdDSA' }, log, NOW);
  t.equal(good.ephemeral, false);
  const eph = await loadKeySet({ file: null, algorithm: 'ES256' }, log, NOW);
  t.equal(eph.ephemeral, true, 'no keys.file: an ephemeral key');
});
