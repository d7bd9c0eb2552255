// The default route requirement is written once (DEFAULTS.route.require): `require: authenticated`
// in the config and a path that no route matches both need exactly it.
import t from 'tap';
import { DEFAULTS } from '../../src/config/defaults.js';
import { loadConfigText } from '../../src/config/load.js';
import type { Scope } from '../../src/pipeline/scope.js';
import { matchRoute } from '../../src/pipeline/steps/match-route.js';
import { buildRegistry } from '../../src/registry.js';

const YAML = `
tenants:
  acme:
    apps:
      - name: web
        hosts: [web.acme.test]
        upstream: "http://127.0.0.1:3000"
        routes:
          - { path: /public/**, allow: anonymous }
          - { path: /app/**, require: authenticated }
          - { path: /admin/**, require: { roles: [admin] } }
`;

t.test('signed in, any role, no fresh-login window; frozen', async (t) => {
  t.same(DEFAULTS.route.require, { roles: [], freshAuth: null, mfa: false });
  t.ok(Object.isFrozen(DEFAULTS.route.require) && Object.isFrozen(DEFAULTS.route.require.roles));
});

t.test('require: authenticated in the config is the default requirement', async (t) => {
  const routes = loadConfigText(YAML, { env: {} }).tenants.acme!.apps[0]!.routes;
  t.equal(routes[0]!.require, null, 'anonymous');
  t.equal(routes[1]!.require, DEFAULTS.route.require);
  t.same(routes[2]!.require, { roles: ['admin'], freshAuth: null, mfa: false });
});

t.test('a path no route matches needs the default requirement', async (t) => {
  const app = buildRegistry(loadConfigText(YAML, { env: {} })).appForHost('web.acme.test')!;
  const requirementsOf = (method: string, matchPath: string) => {
    const scope = { app, target: { matchPath }, input: { method } } as unknown as Scope;
    void matchRoute.run(scope, {} as never);
    return scope.requirements;
  };
  t.same(requirementsOf('GET', '/elsewhere'), [DEFAULTS.route.require]);
  t.equal(requirementsOf('GET', '/elsewhere')![0], DEFAULTS.route.require);
  t.same(requirementsOf('GET', '/public/x'), [], 'anonymous route');
  t.same(
    requirementsOf('GET', '/ADMIN/x'),
    [DEFAULTS.route.require, { roles: ['admin'], freshAuth: null, mfa: false }],
    'as written: no route (the default); lower-cased: /admin/**',
  );
});
