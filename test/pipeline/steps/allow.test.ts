// allow on its own: the end of the table builds the identity the upstream is told — the
// user's for a session (cookie or a user's token), the client's for a client_credentials
// token — and refuses to run on a scope that authenticated nobody.
import t from 'tap';
import { allow } from '../../../src/pipeline/steps/allow.js';
import type { AccessTokenClaims } from '../../../src/tokens/access-token.js';
import { saveSession, scopeFor, stepFixture } from '../../helpers/step-deps.js';

const claims = (over: Partial<AccessTokenClaims>): AccessTokenClaims => ({
  iss: 'http://gw.acme.test/t/acme',
  sub: 'u-alice',
  aud: 'billing-api',
  client_id: 'web-spa',
  exp: 2,
  iat: 1,
  jti: 'j1',
  scope: 'openid profile',
  tid: 'acme',
  roles: [],
  ...over,
});

t.test("a session: the user's identity", async (t) => {
  const f = await stepFixture(t);
  const user = f.acme.usersById.get('u-alice')!;
  const { session } = await saveSession(f, { userId: 'u-alice' });
  t.same(allow.run(scopeFor({}, { tenant: f.acme, session, user, credential: 'cookie' }), undefined), {
    kind: 'allow',
    identity: {
      userId: 'u-alice',
      email: 'alice@acme.test',
      name: 'Alice Admin',
      roles: ['admin'],
      tenant: 'acme',
      sessionId: session.id,
      authTime: session.authTime,
      clientId: null,
      scope: null,
    },
  });
});

t.test("a user's token: the user, and the client and scope it acts with", async (t) => {
  const f = await stepFixture(t);
  const user = f.acme.usersById.get('u-alice')!;
  const { session } = await saveSession(f, { userId: 'u-alice' });
  const token = claims({ sid: session.id });
  t.match(allow.run(scopeFor({}, { tenant: f.acme, session, user, token, credential: 'bearer' }), undefined), {
    kind: 'allow',
    identity: {
      userId: 'u-alice',
      roles: ['admin'],
      sessionId: session.id,
      clientId: 'web-spa',
      scope: 'openid profile',
    },
  });
});

t.test('a client_credentials token: the client, with no roles, session or login time', async (t) => {
  const f = await stepFixture(t);
  const token = claims({
    sub: 'billing-service',
    client_id: 'billing-service',
    scope: 'sessions:admin',
    roles: ['admin'],
  });
  t.same(
    allow.run(scopeFor({}, { tenant: f.acme, token, credential: 'bearer' }), undefined),
    {
      kind: 'allow',
      identity: {
        userId: 'billing-service',
        email: '',
        name: 'billing-service',
        roles: [],
        tenant: 'acme',
        sessionId: null,
        authTime: null,
        clientId: 'billing-service',
        scope: 'sessions:admin',
      },
    },
    'a roles claim in the token grants nothing: roles come from the user',
  );
});

t.test('refuses to allow a scope that authenticated nobody', async (t) => {
  const f = await stepFixture(t);
  t.throws(() => allow.run(scopeFor({}, { tenant: f.acme }), undefined), TypeError, 'no session and no token');
  const user = f.acme.usersById.get('u-bob')!;
  t.throws(() => allow.run(scopeFor({}, { tenant: f.acme, user }), undefined), TypeError, 'a user without a session');
  t.throws(() => allow.run(scopeFor({}, {}), undefined), TypeError, 'no tenant');
});
