// enforce-policy on its own: every requirement must be met — at least one of its roles,
// then the strictest freshAuth measured from the session's authTime (a too-old login is
// "re-authenticate", audited). A token without a user holds no roles and no login time.
import t from 'tap';
import type { RouteRequirement } from '../../../src/config/types.js';
import type { Scope } from '../../../src/pipeline/scope.js';
import { enforcePolicy } from '../../../src/pipeline/steps/enforce-policy.js';
import { MIN, saveSession, scopeFor, stepFixture, type StepFixture } from '../../helpers/step-deps.js';

const req = (roles: string[], freshAuth: number | null = null): RouteRequirement => ({ roles, freshAuth, mfa: false });

async function signedIn(f: StepFixture, username: 'alice' | 'bob', requirements: RouteRequirement[]): Promise<Scope> {
  const user = f.acme.usersByName.get(username)!;
  const { session } = await saveSession(f, { userId: user.id });
  return scopeFor({}, { tenant: f.acme, session, user, credential: 'cookie', requirements });
}

t.test('"authenticated" (no roles, no freshAuth): any user goes on', async (t) => {
  const f = await stepFixture(t);
  t.equal(enforcePolicy.run(await signedIn(f, 'bob', [req([])]), f.deps), undefined);
});

t.test('roles: at least one of a requirement, for every requirement', async (t) => {
  const f = await stepFixture(t);
  const forbidden = { kind: 'deny', code: 'ERR_GK_FORBIDDEN', reason: 'missing_role' };
  t.same(enforcePolicy.run(await signedIn(f, 'bob', [req(['admin'])]), f.deps), forbidden, 'bob is no admin');
  t.equal(enforcePolicy.run(await signedIn(f, 'alice', [req(['admin'])]), f.deps), undefined, 'alice is');
  t.equal(enforcePolicy.run(await signedIn(f, 'alice', [req(['auditor', 'admin'])]), f.deps), undefined, 'one of them');
  t.same(
    enforcePolicy.run(await signedIn(f, 'alice', [req(['admin']), req(['auditor'])]), f.deps),
    forbidden,
    'a second rule (the lower-cased path) is not waived by the first',
  );
});

t.test('a client_credentials token holds no roles and cannot satisfy freshAuth', async (t) => {
  const f = await stepFixture(t);
  const client = (requirements: RouteRequirement[]) =>
    scopeFor({}, { tenant: f.acme, credential: 'bearer', requirements });
  t.equal(enforcePolicy.run(client([req([])]), f.deps), undefined, '"authenticated" is met');
  t.match(enforcePolicy.run(client([req(['admin'])]), f.deps), { code: 'ERR_GK_FORBIDDEN', reason: 'missing_role' });
  t.match(enforcePolicy.run(client([req([], 300)]), f.deps), {
    code: 'ERR_GK_FORBIDDEN',
    reason: 'fresh_auth_needs_a_user',
  });
});

t.test('freshAuth: a login older than the strictest bound must be repeated', async (t) => {
  const f = await stepFixture(t);
  const scope = await signedIn(f, 'alice', [req(['admin'], 900), req([], 300)]);
  f.deps.clock.advance(5 * MIN);
  t.equal(enforcePolicy.run(scope, f.deps), undefined, 'exactly 5 minutes: still fresh');
  f.deps.clock.advance(1000);
  t.same(enforcePolicy.run(scope, f.deps), {
    kind: 'deny',
    code: 'ERR_GK_REAUTH_REQUIRED',
    reason: 'auth_too_old',
    maxAge: 300,
  });
  t.match(f.audits(), [
    { audit: 'reauth_required', tenant: 'acme', userId: 'u-alice', sessionId: scope.session!.id, ip: '203.0.113.7' },
  ]);
});

t.test('roles are judged before freshAuth: a user without the role is not sent to log in again', async (t) => {
  const f = await stepFixture(t);
  const scope = await signedIn(f, 'bob', [req(['admin'], 300)]);
  f.deps.clock.advance(60 * MIN);
  t.match(enforcePolicy.run(scope, f.deps), { code: 'ERR_GK_FORBIDDEN' });
  t.same(f.audits(), []);
});

t.test('runs only after match-route', async (t) => {
  const f = await stepFixture(t);
  t.throws(() => enforcePolicy.run(scopeFor({}), f.deps), TypeError);
});
