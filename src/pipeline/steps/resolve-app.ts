// Finds the app (and so the tenant) whose hosts match the request's Host.
import type { Deps } from '../../deps.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

export type ResolveAppDeps = Pick<Deps, 'registry'>;

export const resolveApp: Step<ResolveAppDeps> = {
  name: 'resolve-app',
  run(scope, deps) {
    const { hostname, tenantSlug } = scope.input;
    const app = hostname ? deps.registry.appForHost(hostname) : null;
    // Forward-auth asked under tenant A never decides for an app of tenant B.
    if (!app || (tenantSlug !== undefined && app.tenant.slug !== tenantSlug))
      return deny('ERR_GK_UNKNOWN_HOST', 'no_app_for_host');
    scope.app = app;
    scope.tenant = app.tenant;
  },
};
