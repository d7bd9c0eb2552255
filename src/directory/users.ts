// The user directory: users from the tenant's users file, and users seen at an identity
// provider login (SPEC §12), whose profile a session carries and the federation store
// keeps for the admin lists. One place answers "who is this session's user".
import type { UserRecord } from '../config/types.js';
import type { TenantRuntime } from '../registry.js';
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

/** Every user: the file's, then those seen at an IdP (by username). */
export async function listUsers(
  tenant: Tenant,
  federation: Pick<FederationStore, 'listIdpUsers'>,
): Promise<DirectoryUser[]> {
  const file = [...tenant.usersById.values()].map(fromFile);
  if (tenant.config.identityProviders.length === 0) return file;
  const known = new Set(tenant.config.identityProviders.map((p) => p.id));
  const seen = (await federation.listIdpUsers(tenant.slug)).filter((u) => known.has(u.provider)).map(fromIdp);
  seen.sort((a, b) => a.username.localeCompare(b.username));
  return [...file, ...seen];
}
