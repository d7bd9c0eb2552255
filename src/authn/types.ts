// The authenticator contract: an absent credential is "not responsible" (the next one
// is asked); only a credential that is present and bad is a failure (Oathkeeper style).
import type { UserRecord } from '../config/types.js';
import type { Scope } from '../pipeline/scope.js';
import type { SessionRecord } from '../store/types.js';

export const NOT_RESPONSIBLE = Symbol('not-responsible');

export type AuthnResult =
  | typeof NOT_RESPONSIBLE
  | { ok: true; credential: 'cookie'; session: SessionRecord; user: UserRecord }
  /** A bearer token; session and user are null for a client_credentials token. */
  | { ok: true; credential: 'bearer'; session: SessionRecord | null; user: UserRecord | null }
  | { ok: false; reason: string };

/** `D`: the slice of the gateway's dependencies the authenticator reads (see Step). */
export interface Authenticator<D = unknown> {
  readonly name: string;
  readonly authenticate: (scope: Scope, deps: D) => Promise<AuthnResult>;
}
