// The one deepFreeze: the configuration, DEFAULTS, a reloaded configuration and a tenant's
// effective settings are frozen all the way down.
import t from 'tap';
import { loadConfigText } from '../../src/config/load.js';
import { mergeReloadable } from '../../src/reload.js';
import { deepFreeze } from '../../src/util/deep-freeze.js';

t.test('objects and arrays at every depth', async (t) => {
  const v = { a: { b: [{ c: 1 }, [2]] }, d: null, e: 'x' };
  t.equal(deepFreeze(v), v, 'returns its argument');
  for (const o of [v, v.a, v.a.b, v.a.b[0], v.a.b[1]]) t.ok(Object.isFrozen(o));
  t.throws(() => {
    (v.a.b[0] as { c: number }).c = 2;
  }, TypeError);
  t.throws(() => (v.a.b as unknown[]).push(3), TypeError);
});

t.test('primitives and null pass through', async (t) => {
  t.equal(deepFreeze(null), null);
  t.equal(deepFreeze(undefined), undefined);
  t.equal(deepFreeze(3), 3);
  t.equal(deepFreeze('s'), 's');
});

t.test('a frozen part counts as frozen all the way down (shared parts are not walked again)', async (t) => {
  const shared = deepFreeze({ roles: ['admin'] });
  const v = deepFreeze({ user: shared, other: { x: [1] } });
  t.equal(v.user, shared);
  t.ok(Object.isFrozen(v.other.x));
});

t.test('a reloaded configuration is frozen all the way down, not only at the top', async (t) => {
  const yaml = `
tenants:
  acme:
    apps: [{ name: web, hosts: [web.acme.test], upstream: "http://127.0.0.1:3000", routes: [{ path: /x, allow: anonymous }] }]
`;
  const old = loadConfigText(yaml, { env: {} });
  const { config } = mergeReloadable(old, loadConfigText(yaml, { env: {} }));
  const acme = config.tenants.acme!;
  for (const o of [config, config.tenants, acme, acme.apps, acme.apps[0]!, acme.apps[0]!.routes])
    t.ok(Object.isFrozen(o));
  t.throws(() => {
    (acme as { displayName: string }).displayName = 'Evil';
  }, TypeError);
});
