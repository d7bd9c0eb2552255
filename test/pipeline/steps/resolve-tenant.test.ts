// resolve-tenant on its own: the gateway's endpoints take the tenant their URL names,
// whatever the Host; a tenant that is not (or no longer) configured is 404.
import t from 'tap';
import { resolveTenant } from '../../../src/pipeline/steps/resolve-tenant.js';
import { scopeFor, stepFixture } from '../../helpers/step-deps.js';

t.test('the URL names the tenant, whatever the Host', async (t) => {
  const f = await stepFixture(t);
  const scope = scopeFor({ tenantSlug: 'globex', hostname: 'dashboard.acme.test' });
  t.equal(resolveTenant.run(scope, f.deps), undefined);
  t.equal(scope.tenant, f.globex);
  t.equal(scope.app, undefined, 'no app, so no route policy');
});

t.test('an unknown or missing tenant is refused', async (t) => {
  const f = await stepFixture(t);
  for (const tenantSlug of ['initech', 'ACME', '', undefined]) {
    const scope = scopeFor(tenantSlug === undefined ? {} : { tenantSlug });
    t.match(
      resolveTenant.run(scope, f.deps),
      { kind: 'deny', code: 'ERR_GK_NOT_FOUND', reason: 'unknown_tenant' },
      String(tenantSlug),
    );
    t.equal(scope.tenant, undefined);
  }
});

t.test('a tenant removed by a reload is gone for the next request', async (t) => {
  const f = await stepFixture(t);
  const reloaded = { ...f.registry, tenants: new Map([['globex', f.globex]]) };
  t.match(resolveTenant.run(scopeFor({ tenantSlug: 'acme' }), { registry: reloaded }), { code: 'ERR_GK_NOT_FOUND' });
});
