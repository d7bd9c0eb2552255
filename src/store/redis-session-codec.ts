// A SessionRecord as a Redis hash and back: numbers as decimal strings, booleans "1"/"0",
// a null field left out, profile and idp as JSON. Field `v` is the layout version.
import type { SessionRecord } from './sessions.js';

export function encodeSession(s: SessionRecord): string[] {
  const fields: [string, string | number | boolean | null][] = [
    ['v', 1],
    ['id', s.id],
    ['tenant', s.tenant],
    ['userId', s.userId],
    ['kind', s.kind],
    ['secretHash', s.secretHash],
    ['clientId', s.clientId],
    ['ipAddress', s.ipAddress],
    ['userAgent', s.userAgent],
    ['authMethod', s.authMethod],
    ['amr', s.amr.join(',')],
    ['mfaAt', s.mfaAt],
    ['rememberMe', s.rememberMe],
    ['createdAt', s.createdAt],
    ['lastActiveAt', s.lastActiveAt],
    ['authTime', s.authTime],
    ['expiresAt', s.expiresAt],
    ['idleTimeoutMs', s.idleTimeoutMs],
    ['scope', s.scope ?? null],
    ['profile', s.profile ? JSON.stringify(s.profile) : null],
    ['idp', s.idp ? JSON.stringify(s.idp) : null],
  ];
  return fields.flatMap(([k, v]) => (v === null ? [] : [k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v)]));
}

/** A hash back into a record; null when it is absent or not one of ours. */
export function decodeSession(h: Record<string, string>): SessionRecord | null {
  const num = (k: string): number | null => {
    const v = h[k];
    return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : null;
  };
  const { id, tenant, userId, kind, secretHash, ipAddress, userAgent, authMethod, rememberMe } = h;
  const createdAt = num('createdAt'),
    lastActiveAt = num('lastActiveAt'),
    authTime = num('authTime'),
    expiresAt = num('expiresAt');
  if (
    id === undefined ||
    tenant === undefined ||
    userId === undefined ||
    secretHash === undefined ||
    ipAddress === undefined ||
    userAgent === undefined ||
    authMethod === undefined ||
    (kind !== 'browser' && kind !== 'token') ||
    (rememberMe !== '1' && rememberMe !== '0') ||
    createdAt === null ||
    lastActiveAt === null ||
    authTime === null ||
    expiresAt === null
  )
    return null;
  return {
    id,
    tenant,
    userId,
    kind,
    secretHash,
    ipAddress,
    userAgent,
    authMethod,
    // Written before amr existed: a password session (the only kind there was).
    amr: h.amr === undefined ? ['pwd'] : h.amr === '' ? [] : h.amr.split(','),
    mfaAt: num('mfaAt'),
    clientId: h.clientId ?? null,
    rememberMe: rememberMe === '1',
    createdAt,
    lastActiveAt,
    authTime,
    expiresAt,
    idleTimeoutMs: num('idleTimeoutMs'),
    ...(h.scope !== undefined ? { scope: h.scope } : {}),
    ...jsonField(h, 'profile'),
    ...jsonField(h, 'idp'),
  };
}

/** An optional JSON field (profile, idp) of a session hash; left out when absent or unreadable. */
function jsonField<K extends 'profile' | 'idp'>(
  h: Record<string, string>,
  k: K,
): Pick<SessionRecord, K> | Record<string, never> {
  const v = h[k];
  if (v === undefined) return {};
  try {
    return { [k]: JSON.parse(v) as SessionRecord[K] } as Pick<SessionRecord, K>;
  } catch {
    return {};
  }
}
