// The OpenAPI 3.1 document of a tenant's API: every /t/{slug}/api/v1/… endpoint (sessions,
// users and their second factors), the OAuth endpoints and the forward-auth endpoint.
// Served at /t/{slug}/api/v1/openapi.json; test/e2e/openapi.test.ts validates it and holds
// every real answer of the gateway to it.
import { FACTOR_PATHS, FACTOR_SCHEMAS } from './paths-factors.js';
import { FORWARD_AUTH_PATHS } from './paths-forward-auth.js';
import { OAUTH_PATHS } from './paths-oauth.js';
import { SESSION_PATHS } from './paths-sessions.js';
import { SECURITY_SCHEMES, type Obj } from './parts.js';
import { SCHEMAS } from './schemas.js';

const DOCUMENT: Obj = {
  openapi: '3.1.0',
  info: {
    title: 'Gatekeeper tenant API',
    version: '1',
    summary: 'Sessions, tokens and forward-auth of one Gatekeeper tenant.',
    description:
      'Every path is relative to the tenant’s base URL `{publicUrl}/t/{slug}` (also its token issuer). ' +
      'Admin endpoints take an access token whose user has the role `admin` or whose scope holds `sessions:admin`, ' +
      'or an admin’s session cookie plus `X-CSRF-Token`. Every JSON answer is `Cache-Control: no-store` unless said otherwise. ' +
      'A browser that accepts text/html gets refusals as HTML pages.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  tags: [
    { name: 'session', description: 'The caller’s own login session.' },
    { name: 'admin', description: 'Users, their sessions and second factors, and the tenant’s auth-settings.' },
    { name: 'self-service', description: 'A signed-in user’s own sessions.' },
    { name: 'oauth', description: 'OAuth 2 authorization server.' },
    { name: 'forward-auth', description: 'Decisions for nginx, Traefik and Envoy.' },
    { name: 'meta', description: 'This document.' },
  ],
  paths: { ...SESSION_PATHS, ...FACTOR_PATHS, ...OAUTH_PATHS, ...FORWARD_AUTH_PATHS },
  components: { schemas: { ...SCHEMAS, ...FACTOR_SCHEMAS }, securitySchemes: SECURITY_SCHEMES },
};

/** The document with `servers` set to one tenant's base URL (its issuer). A fresh copy each call. */
export function openApiDocument(baseUrl: string): Obj {
  return structuredClone({ ...DOCUMENT, servers: [{ url: baseUrl, description: 'This tenant.' }] });
}
