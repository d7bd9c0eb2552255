// The runtime view of the configuration, built once per (re)load: tenants with their
// user maps and cookie spec, apps with compiled route matchers, and the Host → app index.
import type { AppConfig, GatewayConfig, TenantConfig, TenantSettings, UserRecord } from './config/types.js';
import { compileRoutes } from './policy/matcher.js';
import { cookieSpec, type CookieSpec } from './session/cookie.js';
import { hostMatches } from './http/redirect.js';

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
  const tenant: TenantRuntime = {
    slug: t.slug,
    config: t,
    settings: t.settings,
    issuer: `${config.server.publicUrl}/t/${t.slug}`,
    cookie: cookieSpec(config.server.publicUrl, t.slug, t.settings),
    usersById: new Map(t.users.map((u) => [u.id, u])),
    usersByName: new Map(t.users.map((u) => [u.username, u])),
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

/** Host header → lower-case hostname without port ("[::1]:8080" → "[::1]"). */
/** null for a missing or malformed Host (bad port, stray characters): RFC 9112 §3.2 → 400. */
export function hostnameOf(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/.exec(hostHeader.trim().toLowerCase());
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) return null;
  return m[1]!;
}

/** RFC 9112 §3.2: a request with more than one Host line must be refused. */
export function hasSingleHost(rawHeaders: readonly string[]): boolean {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.length === 4 && rawHeaders[i]!.toLowerCase() === 'host') n++;
  return n <= 1;
}
