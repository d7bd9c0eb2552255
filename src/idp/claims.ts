// From an IdP's claims to a gateway user (SPEC §12): the configured claims give username,
// email, name and roles; roleMap renames IdP roles or groups (unmapped ones are kept);
// allowedRoles, when set, admits only users holding one of them after mapping.
import type { IdentityProviderConfig } from '../config/types.js';

export interface MappedUser {
  /** `{providerId}:{sub}`: stable when the username or email change at the IdP. */
  id: string;
  username: string;
  email: string;
  name: string;
  roles: string[];
}

const ROLE = /^[A-Za-z0-9._:-]{1,64}$/;

/** A claim path may name a nested claim with dots (Keycloak's `realm_access.roles`). */
function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let v: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const text = (v: unknown, max: number): string =>
  typeof v === 'string' ? v.slice(0, max) : typeof v === 'number' ? String(v) : '';

export function mapClaims(
  cfg: Pick<IdentityProviderConfig, 'id' | 'claims' | 'roleMap'>,
  claims: Record<string, unknown>,
): MappedUser {
  const sub = text(claims.sub, 255);
  if (sub === '') throw new TypeError('mapClaims: the ID token has no sub (openid-client validates it first)');
  const rawRoles = claimAt(claims, cfg.claims.roles);
  const list = Array.isArray(rawRoles) ? rawRoles : typeof rawRoles === 'string' ? rawRoles.split(/[\s,]+/) : [];
  const roles = new Set<string>();
  for (const r of list) {
    if (typeof r !== 'string') continue;
    // Keycloak's group paths (`/admins`) read as their last segment.
    const name = r.startsWith('/') ? r.slice(r.lastIndexOf('/') + 1) : r;
    const mapped = cfg.roleMap[name] ?? cfg.roleMap[r] ?? name;
    // A role that could not be a configured role name (commas, spaces…) never becomes one.
    if (ROLE.test(mapped)) roles.add(mapped);
  }
  const username = text(claimAt(claims, cfg.claims.username), 256) || sub;
  return {
    id: `${cfg.id}:${sub}`,
    username,
    email: text(claimAt(claims, cfg.claims.email), 256),
    name: text(claimAt(claims, cfg.claims.name), 256) || username,
    roles: [...roles].sort(),
  };
}

/** SPEC §12 allowedRoles: empty admits everyone; else one of them is needed. */
export function admitted(cfg: Pick<IdentityProviderConfig, 'allowedRoles'>, user: Pick<MappedUser, 'roles'>): boolean {
  return cfg.allowedRoles.length === 0 || cfg.allowedRoles.some((r) => user.roles.includes(r));
}
