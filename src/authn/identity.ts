// Who a request is, once the pipeline has decided to allow it: what the upstream is told
// (identity headers, X-Auth-Jwt) and what the gateway's own endpoints act for. Its own module
// so that the proxy and token code can name it without importing the pipeline.

export interface Identity {
  /** The user id, or the client id for a client_credentials token. */
  userId: string;
  email: string;
  name: string;
  roles: readonly string[];
  tenant: string;
  /** null for a client_credentials token. */
  sessionId: string | null;
  /** epoch ms; null for a client_credentials token. */
  authTime: number | null;
  clientId: string | null;
  scope: string | null;
  /** X-Auth-Jwt, added once the decision is to allow (SPEC §7). */
  jwt?: string;
}
