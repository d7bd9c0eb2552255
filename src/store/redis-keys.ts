// Hash-tagged key bases shared by the Redis concerns. ioredis adds `keyPrefix` (default
// "gk:") in front of every key it is given; scripts that build keys themselves get the
// prefix from ARGV.
//   {<tenant>:<tag>}:  one user's slot: their sessions, index and refresh-token chains.
//                      <tag> = userTag(tenant, userId), which every session id embeds, so
//                      a session is found from its id alone.
//   {<tenant>:<kind>:<h>}:  a record in a slot of its own, placed by a hash of its id:
//                      throttle counters (kind thr, one per subject and per source),
//                      authorization codes (code) and the deny list (jti). A tenant's
//                      logins and token checks are then spread over the whole Cluster.
//   {<tenant>}:        the few tenant-wide keys: settings, federation; and the codes and
//                      deny list of the earlier layout, still honoured (redis-tokens.ts).
// Every key of one script shares one hash tag, so in Cluster mode it runs inside one slot.

import { createHash } from 'node:crypto';

const TENANT_RE = /^[a-z0-9-]{1,63}$/;

function checkTenant(tenant: string): void {
  // A tenant slug never holds braces; checking keeps the hash tag intact.
  if (!TENANT_RE.test(tenant)) throw new TypeError(`invalid tenant slug: ${JSON.stringify(tenant)}`);
}

/** The key base of one user's slot: `{tenant:tag}:`. */
export function slot(tenant: string, tag: string): string {
  checkTenant(tenant);
  return `{${tenant}:${tag}}:`;
}

/** The key base of tenant-wide keys: `{tenant}:`. */
export function tenantSlot(tenant: string): string {
  checkTenant(tenant);
  return `{${tenant}}:`;
}

/**
 * The key base of a record with a slot of its own: `{tenant:kind:h}:`, h = 8 base64url
 * characters of SHA-256(id) (48 bits: slots are spread evenly, and the tag holds no brace
 * whatever the id holds). The full id still follows in the key, so keys never collide.
 */
export function ownSlot(tenant: string, kind: 'thr' | 'code' | 'jti', id: string): string {
  checkTenant(tenant);
  const h = createHash('sha256').update(id).digest('base64url').slice(0, 8);
  return `{${tenant}:${kind}:${h}}:`;
}

/** A millisecond count as Redis takes it (an integer, rounded up). */
export const int = (n: number): string => String(Math.ceil(n));
