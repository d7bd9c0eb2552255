// The store concern of sign-in through upstream identity providers (SPEC §12): users seen
// at an IdP login (for the admin lists), the IdP session → users index that back-channel
// logout by `sid` needs, the short-lived login flows, and one-time marks (a logout
// token's jti). Memory and Redis implementations sit beside it; both pass one contract.

/** A user as last seen at an IdP login: `id` is `{providerId}:{sub}`. */
export interface IdpUserRecord {
  id: string;
  provider: string;
  username: string;
  email: string;
  name: string;
  roles: readonly string[];
  /** epoch ms of the last login through the IdP. */
  lastLoginAt: number;
}

export interface FederationStore {
  saveIdpUser(tenant: string, user: IdpUserRecord): Promise<void>;
  getIdpUser(tenant: string, userId: string): Promise<IdpUserRecord | null>;
  listIdpUsers(tenant: string): Promise<IdpUserRecord[]>;

  /**
   * Records that `userId` signed in through the IdP session `sid` of `provider`, for ttlMs
   * (as long as a session carrying that sid may live: the login session and the token
   * sessions an app gets from it). A user, not a session: the login session may have ended
   * while those token sessions live on.
   */
  linkIdpSession(tenant: string, provider: string, sid: string, userId: string, ttlMs: number): Promise<void>;
  /** The users who signed in through that IdP session. */
  idpSessionUsers(tenant: string, provider: string, sid: string): Promise<string[]>;

  /** Saves a login flow under its (hashed) id for ttlMs. */
  saveFlow(tenant: string, idHash: string, payload: string, ttlMs: number): Promise<void>;
  /** Reads a flow without using it (a page that shows where a flow stands); null when absent or expired. */
  peekFlow(tenant: string, idHash: string): Promise<string | null>;
  /** Gets and deletes a flow in one step: a flow is used once. */
  takeFlow(tenant: string, idHash: string): Promise<string | null>;

  /** True the first time `key` is marked within ttlMs, false while the mark lasts. Atomic. */
  markOnce(tenant: string, key: string, ttlMs: number): Promise<boolean>;
}
