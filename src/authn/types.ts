// The authenticator contract: an absent credential is "not responsible" (the next one
// is asked); only a credential that is present and bad is a failure (Oathkeeper style).
import type { UserRecord } from '../config/types.js';
import type { Deps } from '../deps.js';
import type { Scope } from '../pipeline/scope.js';
import type { SessionRecord } from '../store/types.js';

export const NOT_RESPONSIBLE = Symbol('not-responsible');

export type AuthnResult =
  | typeof NOT_RESPONSIBLE
  | { ok: true; credential: 'cookie'; session: SessionRecord; user: UserRecord }
  /** A bearer token; session and user are null for a client_credentials token. */
  | { ok: true; credential: 'bearer'; session: SessionRecord | null; user: UserRecord | null }
  | { ok: false; reason: string };

export interface Authenticator {
  readonly name: string;
  authenticate(scope: Scope, deps: Deps): Promise<AuthnResult>;
}
