// X-Auth-Jwt (SPEC §7): a 60 s signed assertion of the identity headers, `aud` = the app
// name, that an app can verify against the JWKS. It is signed with the assertion key
// (ES256, its own kid; keys.ts), never with the access-token key: about 65 µs of CPU instead
// of 360 µs for RS256, and an assertion can never pass for an access token. Each one is
// reused for 30 s per identity and app (below), so a session costs at most one signature
// per 30 s while it stays in the cache.
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { SignJWT } from 'jose';
import type { Identity } from '../authn/identity.js';
import type { KeySet } from './keys.js';

const LIFETIME_S = 60;
const REUSE_MS = 30_000;
/**
 * Sized from `npm run bench:assertion` (about 1.1 KB of heap per entry, a miss costs one
 * ~65 µs ES256 signature): an entry only serves for REUSE_MS, so the most one process can use
 * is the sessions it sees within 30 s. 100,000 (≈ 110 MB at most, only when that many
 * sessions are active) covers every session one process can serve in 30 s at the ~3,000
 * identity-header requests/s it reaches on this 2-core machine; beyond that an entry would
 * be stale before its session came back, so a larger cache would only hold memory.
 */
export const ASSERTION_CACHE_MAX = 100_000;

/** Everything the assertion's claims are made of: two requests share one only if it says the same. */
function keyOf(id: Identity, app: string): string {
  return `${app}\0${id.tenant}\0${id.sessionId ?? ''}\0${id.userId}\0${id.clientId ?? ''}\0${id.authTime ?? ''}\0${id.roles.join(',')}\0${id.email}\0${id.name}`;
}

export class AssertionSigner {
  // No lru-cache TTL: every hit is checked against its own exp (below), stale ones are replaced.
  private readonly cache = new LRUCache<string, { jwt: string; exp: number }>({ max: ASSERTION_CACHE_MAX });
  constructor(private readonly keys: Pick<KeySet, 'assertion'>) {}

  /** The cached assertion for this identity and app, when there is one young enough. */
  cached(id: Identity, app: string, nowMs: number): string | undefined {
    return this.young(keyOf(id, app), nowMs);
  }

  async assertion(id: Identity, app: string, issuer: string, nowMs: number): Promise<string> {
    const key = keyOf(id, app);
    const hit = this.young(key, nowMs);
    if (hit !== undefined) return hit;
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + LIFETIME_S;
    const jwt = await new SignJWT({
      tid: id.tenant,
      email: id.email,
      name: id.name,
      roles: [...id.roles],
      ...(id.sessionId ? { sid: id.sessionId } : {}),
      ...(id.authTime !== null ? { auth_time: Math.floor(id.authTime / 1000) } : {}),
      ...(id.clientId ? { client_id: id.clientId } : {}),
    })
      .setProtectedHeader({ alg: this.keys.assertion.alg, kid: this.keys.assertion.kid, typ: 'gk-assertion+jwt' })
      .setIssuer(issuer)
      .setSubject(id.userId)
      .setAudience(app)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(this.keys.assertion.key);
    this.cache.set(key, { jwt, exp });
    return jwt;
  }

  /** Never hand out an assertion with less than half its life left. */
  private young(key: string, nowMs: number): string | undefined {
    const hit = this.cache.get(key);
    return hit && hit.exp * 1000 - nowMs > REUSE_MS ? hit.jwt : undefined;
  }

  clear(): void {
    this.cache.clear();
  }
}
