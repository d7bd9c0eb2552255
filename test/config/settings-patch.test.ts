// The settings patch in one module (src/config/settings-patch.ts): what the auth-settings API
// and the portal form both do with a patch — validate, merge into the saved patch, apply over
// the YAML settings — and the zod helper layer it and the config schema are written with.
import t from 'tap';
import { DEFAULTS } from '../../src/config/defaults.js';
import {
  applySettingsPatch,
  mergePatches,
  validateSettingsPatch,
  type TenantSettingsPatch,
} from '../../src/config/settings-patch.js';
import { formatPath } from '../../src/config/zod-helpers.js';

const valid = (input: unknown): TenantSettingsPatch => {
  const v = validateSettingsPatch(input);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.value;
};

t.test('a saved patch and a new one merge key by key, nested objects one level deep', async (t) => {
  const saved = valid({ idleTimeout: '10m', cookie: { sameSite: 'strict' }, loginThrottle: { maxFailures: 3 } });
  const next = valid({ cookie: { domain: 'acme.test' }, loginThrottle: { window: '1m' }, refreshGrace: 0 });
  const merged = mergePatches(saved, next);
  t.same(merged, {
    idleTimeout: 600,
    cookie: { sameSite: 'strict', domain: 'acme.test' },
    loginThrottle: { maxFailures: 3, window: 60 },
    refreshGrace: 0,
  });
  t.same(applySettingsPatch(DEFAULTS.settings, merged as TenantSettingsPatch), {
    ...DEFAULTS.settings,
    idleTimeout: 600,
    cookie: { sameSite: 'strict', domain: 'acme.test' },
    loginThrottle: { ...DEFAULTS.settings.loginThrottle, maxFailures: 3, window: 60 },
    refreshGrace: 0,
  });
  t.same(saved, { idleTimeout: 600, cookie: { sameSite: 'strict' }, loginThrottle: { maxFailures: 3 } }, 'unchanged');
});

t.test('a later null replaces (cookie.domain back to host-only); undefined keeps', async (t) => {
  const merged = mergePatches(
    { cookie: { domain: 'acme.test' }, idleTimeout: 60 },
    {
      cookie: { domain: null },
      idleTimeout: undefined,
    },
  );
  t.same(merged, { cookie: { domain: null }, idleTimeout: 60 });
  t.equal(applySettingsPatch(DEFAULTS.settings, merged as TenantSettingsPatch).cookie.domain, null);
});

t.test('the patch is validated with every error at its path', async (t) => {
  t.same(validateSettingsPatch({ cookie: { domain: 'acme.test:443' }, rememberMe: { enabled: 'yes' } }), {
    ok: false,
    errors: [
      { path: 'rememberMe.enabled', message: 'expected boolean, got string' },
      { path: 'cookie.domain', message: 'cookie domain must be a host name such as acme.test, or null' },
    ],
  });
  t.same(valid({ cookie: { domain: '.Acme.Test.' } }), { cookie: { domain: 'acme.test' } }, 'one spelling');
});

t.test('formatPath', async (t) => {
  t.equal(formatPath([]), '(root)');
  t.equal(formatPath(['tenants', 'acme', 'apps', 0, 'routes', 2]), 'tenants.acme.apps[0].routes[2]');
  t.equal(formatPath(['roleMap', 'corp admins']), 'roleMap["corp admins"]');
});
