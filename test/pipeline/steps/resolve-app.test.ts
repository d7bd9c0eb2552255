// resolve-app on its own: the Host names the app (and so the tenant); an unknown host, a
// missing one, or an app of another tenant than forward-auth asks under is refused.
import t from 'tap';
import { resolveApp } from '../../../src/pipeline/steps/resolve-app.js';
import { scopeFor, stepFixture } from '../../helpers/step-deps.js';

t.test('a known host resolves its app and tenant', async (t) => {
  const f = await stepFixture(t);
  const scope = scopeFor({ hostname: 'dashboard.acme.test' });
  t.equal(resolveApp.run(scope, f.deps), undefined, 'goes on');
  t.equal(scope.app?.name, 'dashboard');
  t.equal(scope.tenant, f.acme, 'the tenant runtime of the app');
  const wild = scopeFor({ hostname: 'eu.dash.acme.test' });
  t.equal(resolveApp.run(wild, f.deps), undefined, 'a wildcard host pattern');
  t.equal(wild.app?.name, 'dashboard');
});

t.test('an unknown or missing host is refused with nothing resolved', async (t) => {
  const f = await stepFixture(t);
  for (const hostname of ['evil.test', 'acme.test', 'dash.acme.test', null]) {
    const scope = scopeFor({ hostname });
    t.match(
      resolveApp.run(scope, f.deps),
      { kind: 'deny', code: 'ERR_GK_UNKNOWN_HOST', reason: 'no_app_for_host' },
      String(hostname),
    );
    t.equal(scope.app, undefined);
    t.equal(scope.tenant, undefined);
  }
});

t.test('forward-auth asked under one tenant never decides for an app of another', async (t) => {
  const f = await stepFixture(t);
  const wrong = scopeFor({ hostname: 'portal.globex.test', tenantSlug: 'acme' });
  t.match(resolveApp.run(wrong, f.deps), { kind: 'deny', code: 'ERR_GK_UNKNOWN_HOST' }, 'globex app under acme');
  t.equal(wrong.tenant, undefined);
  const right = scopeFor({ hostname: 'portal.globex.test', tenantSlug: 'globex' });
  t.equal(resolveApp.run(right, f.deps), undefined, 'the same app under its own tenant');
  t.equal(right.tenant, f.globex);
});

t.test('reads the registry in force at each call (a reload swaps it)', async (t) => {
  const f = await stepFixture(t);
  const emptied = { ...f.registry, appForHost: () => null };
  t.match(resolveApp.run(scopeFor({ hostname: 'dashboard.acme.test' }), { registry: emptied }), { kind: 'deny' });
});
