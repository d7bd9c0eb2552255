// OAuth client authentication (RFC 6749 §2.3): HTTP Basic, or client_id/client_secret in
// the form, or client_id alone for public clients. Secrets are compared as scrypt hashes
// (constant time); an unknown client costs the same work as a wrong secret.
import type { IncomingMessage } from 'node:http';
import type { ClientConfig } from '../config/types.js';
import type { TenantRuntime } from '../registry.js';
import { burnVerify, verifyPassword } from '../session/password.js';

export type ClientAuthResult =
  | { ok: true; client: ClientConfig; method: 'basic' | 'post' | 'none' }
  | { ok: false; error: 'invalid_client' | 'invalid_request'; basic: boolean; description: string };

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | 'malformed' | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !/^basic /i.test(h)) return null;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return { id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    return 'malformed';
  }
}

export async function authenticateClient(req: IncomingMessage, form: URLSearchParams, tenant: TenantRuntime): Promise<ClientAuthResult> {
  const basic = basicCredentials(req);
  if (basic === 'malformed') return { ok: false, error: 'invalid_client', basic: true, description: 'malformed Basic credentials' };
  const formId = form.get('client_id');
  const formSecret = form.get('client_secret');
  if (basic && (formSecret !== null || (formId !== null && formId !== basic.id))) {
    return { ok: false, error: 'invalid_request', basic: true, description: 'use one client authentication method' };
  }
  const id = basic?.id ?? formId;
  const secret = basic?.secret ?? formSecret;
  if (!id) return { ok: false, error: 'invalid_client', basic: false, description: 'client authentication required' };
  const client = tenant.config.clients.find((c) => c.id === id);
  if (!client) {
    if (secret !== null) await burnVerify(secret);
    return { ok: false, error: 'invalid_client', basic: basic !== null, description: 'unknown client or bad credentials' };
  }
  if (client.public) {
    if (secret !== null) return { ok: false, error: 'invalid_client', basic: basic !== null, description: 'a public client has no secret' };
    return { ok: true, client, method: 'none' };
  }
  if (secret === null || client.secretHash === null || !(await verifyPassword(secret, client.secretHash))) {
    return { ok: false, error: 'invalid_client', basic: basic !== null, description: 'unknown client or bad credentials' };
  }
  return { ok: true, client, method: basic ? 'basic' : 'post' };
}
