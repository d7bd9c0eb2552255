// RFC 6749 §5.1/§5.2 answers: JSON, no-store, and `WWW-Authenticate: Basic` on a 401
// when the client tried HTTP Basic.
import type { ServerResponse } from 'node:http';
import { OAuthError } from '../tokens/oauth-error.js';
import { sendJson } from './respond.js';

export function sendOAuthError(res: ServerResponse, err: OAuthError, basicUsed: boolean, realm: string): void {
  const headers: Record<string, string> = { pragma: 'no-cache' };
  if (err.status === 401 && basicUsed) headers['www-authenticate'] = `Basic realm="${realm}"`;
  sendJson(res, err.status, { error: err.error, error_description: err.description }, headers);
}

export function sendOAuthJson(res: ServerResponse, body: unknown): void {
  sendJson(res, 200, body, { pragma: 'no-cache' });
}
