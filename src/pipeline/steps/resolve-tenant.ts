// The gateway's own endpoints (/t/{slug}/…, SPEC §3.2): the tenant is the one the URL names,
// whatever the Host; there is no app, so no route policy either.
import type { Deps } from '../../deps.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

export type ResolveTenantDeps = Pick<Deps, 'registry'>;

export const resolveTenant: Step<ResolveTenantDeps> = {
  name: 'resolve-tenant',
  run(scope, deps) {
    const slug = scope.input.tenantSlug;
    const tenant = slug === undefined ? undefined : deps.registry.tenants.get(slug);
    // Gone between routing and here only if a reload removed it meanwhile.
    if (!tenant) return deny('ERR_GK_NOT_FOUND', 'unknown_tenant');
    scope.tenant = tenant;
  },
};
