// The user directory: users from the tenant's users file, and users seen at an identity
// provider login (SPEC §12), whose profile a session carries and the federation store
// keeps for the admin lists. One place answers "who is this session's user".
import type { UserRecord } from '../config/types.js';
import type { TenantRuntime } from '../registry.js';
import { sortKey, UserIndex } from './user-index.js';
import type { FederationStore, IdpUserRecord } from '../store/federation.js';
import type { SessionRecord } from '../store/types.js';

type Tenant = Pick<TenantRuntime, 'slug' | 'usersById' | 'config'>;

/** A federated user as a UserRecord: no password (usersByName never holds them, so no password login). */
function fromProfile(id: string, p: NonNullable<SessionRecord['profile']>): UserRecord {
  return { id, username: p.username, email: p.email, name: p.name, roles: p.roles, passwordHash: '' };
}

/**
 * The session's user: a file user by id (gone from the file = no user, the session is
 * dead), else the profile the session was created with at an IdP login — but only while
 * that provider is still configured for the tenant.
 */
export function userOfSession(
  tenant: Tenant,
  session: Pick<SessionRecord, 'userId' | 'profile' | 'idp'>,
): UserRecord | undefined {
  const fileUser = tenant.usersById.get(session.userId);
  if (fileUser) return fileUser;
  if (!session.profile || !session.idp) return undefined;
  const provider = session.idp.provider;
  if (!session.userId.startsWith(`${provider}:`) || !tenant.config.identityProviders.some((p) => p.id === provider))
    return undefined;
  return fromProfile(session.userId, session.profile);
}

export interface DirectoryUser extends Omit<UserRecord, 'passwordHash'> {
  /** null: from the users file; else the identity provider's id. */
  provider: string | null;
}

const fromFile = (u: UserRecord): DirectoryUser => ({
  id: u.id,
  username: u.username,
  email: u.email,
  name: u.name,
  roles: u.roles,
  provider: null,
});
const fromIdp = (u: IdpUserRecord): DirectoryUser => ({
  id: u.id,
  username: u.username,
  email: u.email,
  name: u.name,
  roles: u.roles,
  provider: u.provider,
});

/** One user by id, from the file or as last seen at an IdP. */
export async function findUser(
  tenant: Tenant,
  federation: Pick<FederationStore, 'getIdpUser'>,
  userId: string,
): Promise<DirectoryUser | null> {
  const f = tenant.usersById.get(userId);
  if (f) return fromFile(f);
  if (!tenant.config.identityProviders.some((p) => userId.startsWith(`${p.id}:`))) return null;
  const u = await federation.getIdpUser(tenant.slug, userId);
  return u ? fromIdp(u) : null;
}

/** A page of the directory: the users, the cursor of the next page (null: the last page), the position. */
export interface DirectoryPage {
  users: DirectoryUser[];
  nextCursor: string | null;
  /** Matches before this page and in all (for "Showing 21–40 of 95"). */
  before: number;
  total: number;
}

/** The opaque cursor: base64url of the last user's sort key (folded username, NUL, id); stable across reloads. */
export const encodeCursor = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');
/** The sort key in a cursor, or null when it is not one of ours. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(cursor)) return null;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  return key.includes('\u0000') && encodeCursor(key) === cursor ? key : null;
}

/**
 * Up to `limit` users after the cursor's key, sorted by username (file users and those seen
 * at an IdP merged), filtered by `q`: a case-insensitive prefix of the username, the email
 * or a word of the name. File users come from the tenant's sorted index (no scan); the IdP
 * users seen are read from the federation store and filtered here.
 */
export async function pageUsers(
  tenant: Pick<TenantRuntime, 'slug' | 'userIndex' | 'config'>,
  federation: Pick<FederationStore, 'listIdpUsers'>,
  o: { afterKey: string; limit: number; q: string },
): Promise<DirectoryPage> {
  const file = tenant.userIndex.page(o.afterKey, o.limit + 1, o.q);
  let idp: DirectoryUser[] = [];
  let idpBefore = 0;
  let idpTotal = 0;
  if (tenant.config.identityProviders.length > 0) {
    const known = new Set(tenant.config.identityProviders.map((p) => p.id));
    const seen = (await federation.listIdpUsers(tenant.slug))
      .filter((u) => known.has(u.provider) && UserIndex.matchesQuery(u, o.q))
      .map((u) => ({ key: sortKey(u), u }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const after = seen.filter((x) => x.key > o.afterKey);
    idpBefore = seen.length - after.length;
    idpTotal = seen.length;
    idp = after.slice(0, o.limit + 1).map((x) => fromIdp(x.u));
  }
  const merged = [...file.users.map(fromFile), ...idp].map((u) => ({ key: sortKey(u), u }));
  merged.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const page = merged.slice(0, o.limit);
  const more = merged.length > o.limit || file.more;
  const last = page[page.length - 1];
  return {
    users: page.map((x) => x.u),
    nextCursor: more && last ? encodeCursor(last.key) : null,
    before: file.before + idpBefore,
    total: file.total + idpTotal,
  };
}
