// The runtime view of the configuration, built once per (re)load: tenants with their
// user maps and cookie spec, apps with compiled route matchers, and the Host → app index.
import type { AppConfig, GatewayConfig, TenantConfig, TenantSettings, UserRecord } from './config/types.js';
import { directoryOf } from './directory/directory.js';
import type { UserIndex } from './directory/user-index.js';
import { compileRoutes } from './policy/matcher.js';
import { cookieSpec, type CookieSpec } from './session/cookie.js';
import { hostMatches } from './util/host.js';

export interface TenantRuntime {
  slug: string;
  config: TenantConfig;
  /** Effective settings: the YAML's, with what was saved through the API on top. Swapped whole. */
  settings: TenantSettings;
  issuer: string;
  /** Derived from settings.cookie; swapped with them. */
  cookie: CookieSpec;
  usersById: ReadonlyMap<string, UserRecord>;
  usersByName: ReadonlyMap<string, UserRecord>;
  /** The file's users sorted for paging and prefix search (the admin lists). */
  userIndex: UserIndex;
  apps: readonly AppRuntime[];
  /** Hostnames `rd` may point at (SPEC §5). */
  appHosts: readonly string[];
}

export interface AppRuntime {
  name: string;
  tenant: TenantRuntime;
  config: AppConfig;
  target: string;
  matcher: ReturnType<typeof compileRoutes>;
}

export interface Registry {
  config: GatewayConfig;
  tenants: ReadonlyMap<string, TenantRuntime>;
  /** `server.publicUrl`'s origin (scheme://host[:port]), lower-case. */
  publicOrigin: string;
  appForHost(hostname: string): AppRuntime | null;
}

export function buildRegistry(config: GatewayConfig): Registry {
  const tenants = new Map<string, TenantRuntime>();
  const exact = new Map<string, AppRuntime>();
  const wildcards: { pattern: string; app: AppRuntime }[] = [];
  for (const t of Object.values(config.tenants)) {
    const tenant = buildTenant(config, t);
    tenants.set(t.slug, tenant);
    for (const app of tenant.apps) {
      for (const host of app.config.hosts) {
        const h = host.toLowerCase();
        if (h.startsWith('*.')) wildcards.push({ pattern: h, app });
        else exact.set(h, app);
      }
    }
  }
  return {
    config,
    tenants,
    publicOrigin: new URL(config.server.publicUrl).origin.toLowerCase(),
    appForHost(hostname) {
      const h = hostname.toLowerCase();
      const hit = exact.get(h);
      if (hit) return hit;
      for (const w of wildcards) if (hostMatches(h, [w.pattern])) return w.app;
      return null;
    },
  };
}

function buildTenant(config: GatewayConfig, t: TenantConfig): TenantRuntime {
  // Built ahead by a reload (src/directory/load-in-worker.ts), else now.
  const directory = directoryOf(t.users);
  const tenant: TenantRuntime = {
    slug: t.slug,
    config: t,
    settings: t.settings,
    issuer: `${config.server.publicUrl}/t/${t.slug}`,
    cookie: cookieSpec(config.server.publicUrl, t.slug, t.settings),
    usersById: directory.byId,
    usersByName: directory.byName,
    userIndex: directory.index,
    apps: [],
    appHosts: t.apps.flatMap((a) => a.hosts),
  };
  tenant.apps = t.apps.map((a) => ({
    name: a.name,
    tenant,
    config: a,
    target: a.upstream,
    matcher: compileRoutes(a.routes, { caseInsensitive: a.caseInsensitivePaths }),
  }));
  return tenant;
}
