// Hash-tagged key bases shared by the Redis concerns. ioredis adds `keyPrefix` (default
// "gk:") in front of every key it is given; scripts that build keys themselves get the
// prefix from ARGV.
//   {<tenant>:<tag>}:  one user's slot: their sessions, index and refresh-token chains.
//                      <tag> = userTag(tenant, userId), which every session id embeds, so
//                      a session is found from its id alone.
//   {<tenant>}:        tenant-wide keys: codes, deny list, throttles, settings, federation.
// Every key of one script shares one hash tag, so in Cluster mode it runs inside one slot.

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

/** A millisecond count as Redis takes it (an integer, rounded up). */
export const int = (n: number): string => String(Math.ceil(n));
