// OpenAPI paths of the OAuth side: authorize, token, revoke, introspect, the public keys and
// metadata, and this document itself.
import { ref } from './schemas.js';
import {
  answer,
  CLIENT_AUTH,
  ERROR_CODE,
  header,
  OAUTH_400,
  OAUTH_401,
  OAUTH_429,
  OAUTH_503,
  oauthError,
  R503,
  type Obj,
} from './parts.js';

const form = (schema: Obj): Obj => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema } },
});

const query = (name: string, description: string, required = false, schema: Obj = { type: 'string' }): Obj => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

const page = (description: string): Obj => ({
  description,
  headers: ERROR_CODE,
  content: { 'text/html': { schema: { type: 'string' } } },
});

export const OAUTH_PATHS: Obj = {
  '/api/v1/openapi.json': {
    get: {
      operationId: 'getOpenApi',
      tags: ['meta'],
      summary: 'This document, with `servers` set to the tenant’s base URL.',
      security: [],
      responses: {
        200: answer('The OpenAPI 3.1 document.', {
          type: 'object',
          properties: { openapi: { const: '3.1.0' }, paths: { type: 'object' } },
          required: ['openapi', 'paths'],
        }),
      },
    },
  },
  '/.well-known/jwks.json': {
    get: {
      operationId: 'getJwks',
      tags: ['oauth'],
      summary: 'The public keys that verify access tokens and `X-Auth-Jwt` assertions.',
      security: [],
      responses: { 200: answer('A JSON Web Key Set.', ref('Jwks')) },
    },
  },
  '/.well-known/oauth-authorization-server': {
    get: {
      operationId: 'getAuthorizationServerMetadata',
      tags: ['oauth'],
      summary: 'RFC 8414 authorization-server metadata.',
      security: [],
      responses: { 200: answer('The metadata.', ref('AuthorizationServerMetadata')) },
    },
  },
  '/oauth/authorize': {
    get: {
      operationId: 'authorize',
      tags: ['oauth'],
      summary: 'Authorization code with PKCE S256 (required for every client), on the browser’s login session.',
      security: [{ sessionCookie: [] }, {}],
      parameters: [
        query('client_id', 'A registered client.', true),
        query('redirect_uri', 'Exactly one of the client’s `redirectUris`.', true),
        query('response_type', 'Only `code`.', true, { const: 'code' }),
        query('code_challenge', 'BASE64URL(SHA-256(code_verifier)), 43 characters.', true),
        query('code_challenge_method', 'Only `S256`.', true, { const: 'S256' }),
        query('state', 'Returned as is.'),
        query('scope', 'Space-separated; only scopes the client holds.'),
        query('prompt', '`login`: ask for the password again.'),
        query('max_age', 'Seconds: older logins must re-authenticate.', false, { type: 'string', pattern: '^[0-9]+$' }),
      ],
      responses: {
        302: answer(
          'To `redirect_uri` with `code` (or `error`) plus `state` and `iss` (RFC 9207); or to the login page when there is no fresh enough session.',
          undefined,
          { Location: header('Where to go.', true) },
        ),
        400: page('Unknown client or unregistered `redirect_uri`: shown, never redirected.'),
        503: R503,
      },
    },
  },
  '/api/v1/oauth/token': {
    post: {
      operationId: 'token',
      tags: ['oauth'],
      summary: 'Token endpoint: `authorization_code`, `refresh_token`, `client_credentials` (RFC 6749).',
      security: CLIENT_AUTH,
      requestBody: form(ref('TokenRequest')),
      responses: {
        200: answer(
          'Tokens. `refresh_token` rotates on each use; a used one revokes the whole session (except within `refreshGrace`).',
          ref('TokenResponse'),
        ),
        400: OAUTH_400,
        401: OAUTH_401,
        429: OAUTH_429,
        503: OAUTH_503,
      },
    },
  },
  '/api/v1/oauth/revoke': {
    post: {
      operationId: 'revokeToken',
      tags: ['oauth'],
      summary: 'RFC 7009 revocation of an access or refresh token issued to the calling client.',
      description:
        'A refresh token ends its session (and its access tokens); an access token is denied until it expires. Unknown, expired and already revoked tokens answer 200 too.',
      security: CLIENT_AUTH,
      requestBody: form(ref('TokenForm')),
      responses: {
        200: answer('Revoked, or nothing to revoke. Empty body.'),
        400: oauthError('`invalid_request`: no token, or a token issued to another client (left untouched).'),
        401: OAUTH_401,
        429: OAUTH_429,
        503: OAUTH_503,
      },
    },
  },
  '/api/v1/oauth/introspect': {
    post: {
      operationId: 'introspectToken',
      tags: ['oauth'],
      summary: 'RFC 7662 introspection, for confidential clients.',
      description:
        'A client learns about tokens issued to itself, or about any token of the tenant when it holds the scope `tokens:introspect`.',
      security: CLIENT_AUTH,
      requestBody: form(ref('TokenForm')),
      responses: {
        200: answer('The token’s claims, or only `{"active": false}`.', ref('Introspection')),
        400: OAUTH_400,
        401: OAUTH_401,
        429: OAUTH_429,
        503: OAUTH_503,
      },
    },
  },
};
