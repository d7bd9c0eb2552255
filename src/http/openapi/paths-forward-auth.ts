// OpenAPI path of the forward-auth decision endpoint (nginx `auth_request`, Traefik
// `forwardAuth`). Envoy's `ext_authz` form, `{method} /auth{original path}`, takes the
// original method and path as its own and answers the same; OpenAPI cannot name a path
// suffix, so it is described here rather than listed.
import { answer, ERROR_CODE, header, refusal, type Obj } from './parts.js';

const hdr = (name: string, description: string): Obj => ({
  name,
  in: 'header',
  required: false,
  description,
  schema: { type: 'string' },
});

const IDENTITY: Obj = {
  'X-Auth-User': header('User id.'),
  'X-Auth-Email': header('Email (percent-encoded when not plain printable ASCII).'),
  'X-Auth-Name': header('Display name (percent-encoded when not plain printable ASCII).'),
  'X-Auth-Roles': header('Roles, comma-separated.'),
  'X-Auth-Tenant': header('Tenant slug.'),
  'X-Auth-Session': header('Session id (absent for client-credentials tokens).'),
  'X-Auth-Time': header('When the user authenticated, epoch seconds.'),
  'X-Auth-Jwt': header('A signed 60 s assertion of the same facts, `aud` = the app name; verify with the JWKS.'),
};

const LOGIN = {
  'X-Auth-Redirect': header(
    'The absolute login URL with `rd` = the original URL (the second step, `/t/{slug}/login/mfa`, when a second factor is needed).',
    true,
  ),
  Location: header('The same URL.', true),
  'WWW-Authenticate': header(
    '`Bearer realm="{slug}"`; RFC 9470 `error="insufficient_user_authentication"` with `max_age` when a fresher login is needed, or with `acr_values="mfa"` (and `max_age` when the route sets `freshAuth`) when the route needs a second factor.',
    true,
  ),
};

export const FORWARD_AUTH_PATHS: Obj = {
  '/auth': {
    get: {
      operationId: 'forwardAuth',
      tags: ['forward-auth'],
      summary: 'Decide on a request another proxy received (the proxy’s own pipeline, same answers).',
      description:
        'Read from `X-Original-URI` + `X-Original-Method` (nginx) or `X-Forwarded-Uri` + `X-Forwarded-Method` + `X-Forwarded-Host` + `X-Forwarded-Proto` (Traefik), with the client’s `Cookie` and `Authorization`. Only from `server.trustedProxies`; both header sets at once, or one of them repeated, is refused. Envoy `ext_authz`: any method on `/auth{original path and query}`, Host as the original, answered as with `mode=redirect`.',
      security: [{ sessionCookie: [] }, { bearerToken: [] }, {}],
      parameters: [
        {
          name: 'mode',
          in: 'query',
          required: false,
          description: '`redirect` (Traefik): a browser gets 302/303 to the login page instead of 401.',
          schema: { const: 'redirect' },
        },
        hdr('X-Original-URI', 'nginx: the original path and query.'),
        hdr('X-Original-Method', 'nginx: the original method.'),
        hdr('X-Forwarded-Uri', 'Traefik: the original path and query.'),
        hdr('X-Forwarded-Method', 'Traefik: the original method.'),
        hdr('X-Forwarded-Host', 'The original Host (default: this request’s Host).'),
        hdr('X-Forwarded-Proto', '`http` or `https` (also `ws`/`wss`).'),
      ],
      responses: {
        200: answer(
          'Allowed. Empty body; the identity headers (for apps with `identityHeaders`).',
          undefined,
          IDENTITY,
        ),
        302: answer(
          '`mode=redirect`, a browser, original GET/HEAD: to the login URL (or the second step).',
          undefined,
          {
            ...ERROR_CODE,
            Location: header('The login URL.', true),
          },
        ),
        303: answer(
          '`mode=redirect`, a browser, another original method: to the login URL (or the second step).',
          undefined,
          {
            ...ERROR_CODE,
            Location: header('The login URL.', true),
          },
        ),
        400: refusal(
          'Not from a trusted proxy, missing or repeated original-request headers, a bad path, or an unknown `mode`.',
        ),
        401: refusal(
          'Not authenticated, a fresher login is needed, or the route needs a second factor (`ERR_GK_MFA_REQUIRED`: the body carries `acr_values: "mfa"`).',
          LOGIN,
        ),
        403: refusal('Authenticated, but the route policy refuses (e.g. a missing role).'),
        404: refusal('No app of this tenant has the original Host.'),
        503: refusal('The session store is unreachable (nginx turns it into 500).'),
      },
    },
  },
};
