// OpenAPI paths of the session APIs: the caller's session, the admin API (users, their
// sessions, revoke one or all, auth-settings) and self-service. Admin and self-service
// calls may be refused for a missing second factor (the tenant's `mfa.required`, and the
// sensitive actions): their 401 describes the RFC 9470 challenge too.
import { ref } from './schemas.js';
import {
  answer,
  ERROR_CODE,
  idParam,
  R400,
  R401,
  R401_STEP_UP,
  R403_ADMIN,
  R403_CSRF,
  R403_USER,
  R404,
  R413,
  R415,
  R503,
  READ_AUTH,
  WRITE_AUTH,
  type Obj,
} from './parts.js';

const USER_ID = idParam('userId', 'The user’s id (`{provider}:{sub}` for users of an identity provider).');
const SESSION_ID = idParam('sessionId', 'A session id (`sess_…`).');
/** The gateway's sensitive actions ask an admin's session for a recent second factor. */
const SENSITIVE =
  'A sensitive action: an admin who holds a second factor (every admin when the tenant sets `mfa.required`) must have passed one within the last 15 minutes, else 401 `ERR_GK_MFA_REQUIRED` with `max_age=900`. A client acting as itself (client credentials) is not asked.';
const noStore = { 'Cache-Control': { description: '`no-store`', schema: { type: 'string' } } };
/** `?limit=&cursor=` of a user's session list (session/inventory.ts: sessionPageParams). */
const SESSION_PAGE_PARAMS = [
  {
    name: 'limit',
    in: 'query',
    required: false,
    description: 'Sessions per page, 1–500 (default 50). Anything else is a 400.',
    schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
  {
    name: 'cursor',
    in: 'query',
    required: false,
    description:
      'The `nextCursor` of the previous page; absent (or empty) for the first page. Anything that is not a cursor the gateway gave is a 400.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]*$' },
  },
];
const SESSION_PAGING =
  'Most recently active first, a page at a time: pass the answer’s `nextCursor` as `cursor` for the next page until it is null. ' +
  'A cursor names a position (last activity and session id), not a session: paging lists once every session whose activity ' +
  'does not change during the walk, also when the cursor’s own session was active or ended meanwhile; a session active ' +
  'again during the walk moves to the front, among the pages already read. A user keeps at most 1,000 sessions.';
/** One page of sessions. */
const sessionPage = (description: string): Obj =>
  answer(description, {
    type: 'object',
    properties: {
      sessions: { type: 'array', items: ref('Session'), maxItems: 500 },
      nextCursor: { type: ['string', 'null'], description: 'The cursor of the next page; null on the last page.' },
    },
    required: ['sessions', 'nextCursor'],
    additionalProperties: false,
  });

export const SESSION_PATHS: Obj = {
  '/api/v1/session': {
    get: {
      operationId: 'getCurrentSession',
      tags: ['session'],
      summary: 'The caller’s login session (cookie only) and its CSRF token.',
      security: [{ sessionCookie: [] }],
      responses: {
        200: answer('This session, `current: true`.', ref('CurrentSession'), noStore),
        401: R401,
        503: R503,
      },
    },
  },
  '/api/v1/session/token': {
    post: {
      operationId: 'createSessionToken',
      tags: ['session'],
      summary: 'Exchange the login session for an access token bound to it (for single-page apps).',
      description: 'The token carries the session’s `sid`: it dies with the session.',
      security: [{ sessionCookie: [], csrfToken: [] }],
      responses: {
        200: answer('An access token.', ref('SessionToken'), noStore),
        401: R401,
        403: R403_CSRF,
        503: R503,
      },
    },
  },
  '/api/v1/users': {
    get: {
      operationId: 'listUsers',
      tags: ['admin'],
      summary: 'The tenant’s users, a page at a time, sorted by username, with their count of active sessions.',
      description:
        'Pages by cursor: pass the answer’s `nextCursor` as `cursor` for the next page until it is null. ' +
        'Cursors are opaque and stay valid across reloads of the users file (a cursor names a position in ' +
        'the username order, not a user: users added or removed meanwhile are listed or skipped by where ' +
        'they sort). Sessions are counted for the page’s users only.',
      security: READ_AUTH,
      parameters: [
        {
          name: 'limit',
          in: 'query',
          required: false,
          description: 'Users per page, 1–500 (default 50). Anything else is a 400.',
          schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
        },
        {
          name: 'cursor',
          in: 'query',
          required: false,
          description:
            'The `nextCursor` of the previous page; absent for the first page. A cursor this gateway did not issue is a 400.',
          schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
        },
        {
          name: 'q',
          in: 'query',
          required: false,
          description:
            'Search: a case-insensitive prefix of the username, the email or a word of the name (`bo` finds bob, bob@… and “Bob Builder”).',
          schema: { type: 'string', maxLength: 200 },
        },
      ],
      responses: {
        200: answer('A page of users.', {
          type: 'object',
          properties: {
            users: { type: 'array', items: ref('User'), maxItems: 500 },
            nextCursor: {
              type: ['string', 'null'],
              description: 'The cursor of the next page; null on the last page.',
            },
          },
          required: ['users', 'nextCursor'],
          additionalProperties: false,
        }),
        400: R400,
        401: R401_STEP_UP,
        403: R403_ADMIN,
        503: R503,
      },
    },
  },
  '/api/v1/users/{userId}/sessions': {
    get: {
      operationId: 'listUserSessions',
      tags: ['admin'],
      summary: 'A user’s live sessions, a page at a time.',
      description: SESSION_PAGING,
      security: READ_AUTH,
      parameters: [USER_ID, ...SESSION_PAGE_PARAMS],
      responses: {
        200: sessionPage('A page of sessions.'),
        400: R400,
        401: R401_STEP_UP,
        403: R403_ADMIN,
        404: R404,
        503: R503,
      },
    },
  },
  '/api/v1/users/{userId}/sessions/{sessionId}': {
    delete: {
      operationId: 'revokeUserSession',
      tags: ['admin'],
      summary: 'Revoke one session of a user (its refresh and access tokens too), on every instance.',
      security: WRITE_AUTH,
      parameters: [USER_ID, SESSION_ID],
      responses: { 204: answer('Revoked.'), 401: R401_STEP_UP, 403: R403_ADMIN, 404: R404, 503: R503 },
    },
  },
  '/api/v1/users/{userId}/sessions/revoke-all': {
    post: {
      operationId: 'revokeAllUserSessions',
      tags: ['admin'],
      summary: 'Revoke every session of a user, with their refresh and access tokens, on every instance.',
      description: SENSITIVE,
      security: WRITE_AUTH,
      parameters: [USER_ID],
      responses: {
        200: answer('How many ended.', ref('Revoked')),
        401: R401_STEP_UP,
        403: R403_ADMIN,
        404: R404,
        503: R503,
      },
    },
  },
  '/api/v1/configuration/auth-settings': {
    get: {
      operationId: 'getAuthSettings',
      tags: ['admin'],
      summary: 'The tenant’s effective settings, in the configuration file’s shape.',
      security: READ_AUTH,
      responses: { 200: answer('Settings.', ref('SettingsEnvelope')), 401: R401_STEP_UP, 403: R403_ADMIN, 503: R503 },
    },
    patch: {
      operationId: 'patchAuthSettings',
      tags: ['admin'],
      summary: 'Change some settings: validated, kept in the store, in force on every instance within a second.',
      description: SENSITIVE,
      security: WRITE_AUTH,
      requestBody: { required: true, content: { 'application/json': { schema: ref('SettingsPatch') } } },
      responses: {
        200: answer('The new effective settings.', ref('SettingsEnvelope')),
        400: R400,
        401: R401_STEP_UP,
        403: R403_ADMIN,
        413: R413,
        415: R415,
        422: answer('Invalid: every problem with its path; nothing saved.', ref('ValidationErrors'), ERROR_CODE),
        503: R503,
      },
    },
  },
  '/api/v1/me/sessions': {
    get: {
      operationId: 'listMySessions',
      tags: ['self-service'],
      summary: 'The caller’s own sessions, a page at a time; `current: true` on this one.',
      description: SESSION_PAGING,
      security: READ_AUTH,
      parameters: SESSION_PAGE_PARAMS,
      responses: {
        200: sessionPage('A page of my sessions.'),
        400: R400,
        401: R401_STEP_UP,
        403: R403_USER,
        503: R503,
      },
    },
  },
  '/api/v1/me/sessions/{id}': {
    delete: {
      operationId: 'revokeMySession',
      tags: ['self-service'],
      summary: 'Revoke one of my sessions.',
      security: WRITE_AUTH,
      parameters: [idParam('id', 'A session id (`sess_…`).')],
      responses: {
        204: answer('Revoked.'),
        401: R401_STEP_UP,
        403: R403_USER,
        404: { ...R404, description: 'Not one of my live sessions.' },
        503: R503,
      },
    },
  },
  '/api/v1/me/sessions/revoke-others': {
    post: {
      operationId: 'revokeMyOtherSessions',
      tags: ['self-service'],
      summary: 'Sign out everywhere else: revoke all my sessions but this one.',
      security: WRITE_AUTH,
      responses: { 200: answer('How many ended.', ref('Revoked')), 401: R401_STEP_UP, 403: R403_USER, 503: R503 },
    },
  },
};
