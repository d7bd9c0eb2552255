// OAuth client authentication (RFC 6749 §2.3): HTTP Basic, or client_id/client_secret in
// the form, or client_id alone for public clients. Secrets are compared as scrypt hashes
// (constant time); an unknown client costs the same work as a wrong secret. Every secret
// check is throttled per client_id and per client IP like a login (SPEC §5 "(client
// authentication)") and runs in a slot of the hash pool.
import type { IncomingMessage } from 'node:http';
import type { ClientConfig, TenantConfig } from '../config/types.js';
import { HashPoolBusyError, type HashPool } from '../session/hash-pool.js';
import { burnVerify, verifyPassword } from '../session/password.js';
import type { VerifiedSecrets } from './verified-secrets.js';
import {
  clientKeys,
  throttledCheck,
  type ThrottleDeps,
  type ThrottledResult,
  type ThrottleTenant,
} from '../session/throttle.js';

export interface ClientAuthDeps extends ThrottleDeps {
  hashPool: Pick<HashPool, 'run'>;
  verifiedSecrets: Pick<VerifiedSecrets, 'has' | 'remember'>;
}

export type ClientAuthTenant = ThrottleTenant & { config: Pick<TenantConfig, 'clients'> };

export type ClientAuthResult =
  | { ok: true; client: ClientConfig; method: 'basic' | 'post' | 'none' }
  | { ok: false; error: 'invalid_client' | 'invalid_request'; basic: boolean; description: string }
  /** Not checked: 429 throttled (a lockout or attempts in flight), 503 no hash slot; both with Retry-After. */
  | {
      ok: false;
      error: 'temporarily_unavailable';
      status: 429 | 503;
      retryAfter: number;
      basic: boolean;
      description: string;
    };

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | 'malformed' | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !/^basic /i.test(h)) return null;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return 'malformed';
  }
}

export async function authenticateClient(
  req: IncomingMessage,
  form: URLSearchParams,
  tenant: ClientAuthTenant,
  deps: ClientAuthDeps,
  ip: string,
): Promise<ClientAuthResult> {
  const basic = basicCredentials(req);
  if (basic === 'malformed')
    return { ok: false, error: 'invalid_client', basic: true, description: 'malformed Basic credentials' };
  const formId = form.get('client_id');
  const formSecret = form.get('client_secret');
  if (basic && (formSecret !== null || (formId !== null && formId !== basic.id))) {
    return { ok: false, error: 'invalid_request', basic: true, description: 'use one client authentication method' };
  }
  const id = basic?.id ?? formId;
  const secret = basic?.secret ?? formSecret;
  const usedBasic = basic !== null;
  if (!id) return { ok: false, error: 'invalid_client', basic: false, description: 'client authentication required' };
  const client = tenant.config.clients.find((c) => c.id === id);
  const refused = {
    ok: false,
    error: 'invalid_client',
    basic: usedBasic,
    description: 'unknown client or bad credentials',
  } as const;
  if (client?.public) {
    if (secret !== null)
      return { ok: false, error: 'invalid_client', basic: usedBasic, description: 'a public client has no secret' };
    return { ok: true, client, method: 'none' };
  }
  // Nothing to check: no work, nothing to count.
  if (secret === null) return refused;

  const hash = client?.secretHash ?? null;
  // A secret that verified a moment ago needs neither a hash slot nor a throttle count.
  if (client && hash !== null && deps.verifiedSecrets.has(client.id, hash, secret))
    return { ok: true, client, method: usedBasic ? 'basic' : 'post' };
  const check = (): Promise<boolean> =>
    deps.hashPool.run(() => (hash !== null ? verifyPassword(secret, hash) : burnVerify(secret)));
  let result: ThrottledResult;
  try {
    result = await throttledCheck(deps, tenant, clientKeys(id, ip), check);
  } catch (err) {
    if (!(err instanceof HashPoolBusyError)) throw err;
    return {
      ok: false,
      error: 'temporarily_unavailable',
      status: 503,
      retryAfter: err.retryAfter,
      basic: usedBasic,
      description: 'too many secret checks at once; try again shortly',
    };
  }
  if (result.refused) {
    return {
      ok: false,
      error: 'temporarily_unavailable',
      status: 429,
      retryAfter: result.retryAfter,
      basic: usedBasic,
      description: 'too many failed client authentications; try again later',
    };
  }
  if (!client || !result.ok) return refused;
  if (hash !== null) deps.verifiedSecrets.remember(client.id, hash, secret);
  return { ok: true, client, method: usedBasic ? 'basic' : 'post' };
}
