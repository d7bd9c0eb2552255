// match-route on its own: the first matching rule is the route, every rule the path matches
// (as written and lower-cased) adds its requirement, and no match means "authenticated".
import t from 'tap';
import type { RouteRequirement } from '../../../src/config/types.js';
import { matchRoute } from '../../../src/pipeline/steps/match-route.js';
import type { Scope } from '../../../src/pipeline/scope.js';
import { scopeFor, stepFixture, type StepFixture } from '../../helpers/step-deps.js';

function routed(f: StepFixture, method: string, matchPath: string): Scope {
  const app = f.registry.appForHost('dashboard.acme.test')!;
  const scope = scopeFor({ method }, { app, tenant: app.tenant, target: { path: matchPath, matchPath, query: '' } });
  t.equal(matchRoute.run(scope, undefined), undefined, 'never decides by itself');
  return scope;
}
const roles = (rs: readonly RouteRequirement[] | undefined) => rs?.map((r) => [...r.roles]);
const fresh = (rs: readonly RouteRequirement[] | undefined) => rs?.map((r) => r.freshAuth);

t.test('anonymous routes have no requirement; the catch-all asks for a user', async (t) => {
  const f = await stepFixture(t);
  t.same(routed(f, 'GET', '/healthz').requirements, [], '/healthz anonymous');
  t.same(routed(f, 'GET', '/public/a/b').requirements, [], '/public/** anonymous');
  const other = routed(f, 'GET', '/reports');
  t.equal(other.route?.path, '/**');
  t.same(roles(other.requirements), [[]], 'authenticated: no role, no freshAuth');
  t.same(fresh(other.requirements), [null]);
});

t.test('roles and freshAuth come from the matching rule, by method', async (t) => {
  const f = await stepFixture(t);
  const admin = routed(f, 'GET', '/admin/users');
  t.equal(admin.route?.path, '/admin/**', 'first match wins');
  t.same(roles(admin.requirements), [['admin']]);
  t.same(fresh(admin.requirements), [900]);
  t.same(fresh(routed(f, 'POST', '/billing/pay').requirements), [300], 'POST /billing/** needs a 5 min login');
  t.same(fresh(routed(f, 'GET', '/billing/pay').requirements), [null], 'GET /billing/** does not');
});

t.test('a path that differs by case only must also satisfy the lower-cased rules', async (t) => {
  const f = await stepFixture(t);
  const upper = routed(f, 'GET', '/ADMIN/users');
  t.equal(upper.route?.path, '/**', 'as written, /ADMIN matches the catch-all');
  t.same(roles(upper.requirements), [[], ['admin']], 'and, lower-cased, still needs the admin role');
  t.same(fresh(upper.requirements), [null, 900]);
  const pub = routed(f, 'GET', '/PUBLIC/x');
  t.not(
    pub.requirements?.length,
    0,
    '/PUBLIC is not anonymous: /public/** matches only as lower-cased, /** as written',
  );
});

t.test('an app without routes: every path is "authenticated"', async (t) => {
  const f = await stepFixture(t);
  const app = f.registry.appForHost('billing.acme.test')!;
  const scope = scopeFor({}, { app, tenant: app.tenant, target: { path: '/x', matchPath: '/x', query: '' } });
  matchRoute.run(scope, undefined);
  t.same(roles(scope.requirements), [[]]);
});

t.test('runs only after resolve-app and normalize-target', async (t) => {
  t.throws(() => matchRoute.run(scopeFor({}), undefined), TypeError);
});
