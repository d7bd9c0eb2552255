// The resolved, validated, deep-frozen configuration every module reads.
// Durations are whole seconds. Names follow SPEC.md §2 exactly.

export type Algorithm = 'RS256' | 'ES256' | 'EdDSA';
export type SameSite = 'strict' | 'lax';
export type ConcurrentSessionPolicy = 'evict-oldest' | 'reject';
export type IpBinding = 'off' | 'exact' | 'subnet';
export type IpBindingAction = 'reject' | 'revoke';

export interface ListenAddress {
  host: string;
  port: number;
}

export type RedisConfig =
  | { url: string }
  | { sentinels: { host: string; port: number }[]; name: string }
  | { cluster: { host: string; port: number }[] };

export interface TenantSettings {
  sessionLifetime: number;
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  idleTimeout: number;
  rememberMe: { enabled: boolean; duration: number };
  maxConcurrentSessions: number;
  concurrentSessionPolicy: ConcurrentSessionPolicy;
  ipBinding: IpBinding;
  ipBindingAction: IpBindingAction;
  cookie: { sameSite: SameSite; domain: string | null };
  loginThrottle: { maxFailures: number; window: number; lockout: number };
  refreshGrace: number;
}

export interface UserRecord {
  id: string;
  username: string;
  email: string;
  name: string;
  roles: readonly string[];
  passwordHash: string;
}

export interface ClientConfig {
  id: string;
  public: boolean;
  secretHash: string | null;
  redirectUris: readonly string[];
  grants: readonly string[];
  scopes: readonly string[];
  audience: readonly string[] | null;
}

/** `require: authenticated` is `{ roles: [], freshAuth: null }`. */
export interface RouteRequirement {
  roles: readonly string[];
  freshAuth: number | null;
}

export interface RouteRule {
  path: string;
  /** Upper-case method names; null = every method. */
  methods: readonly string[] | null;
  /** null = anonymous */
  require: RouteRequirement | null;
}

export interface AppConfig {
  name: string;
  hosts: readonly string[];
  upstream: string;
  identityHeaders: boolean;
  audience: string | null;
  caseInsensitivePaths: boolean;
  /** Upstream response timeout in seconds (504 after it). */
  timeout: number;
  routes: readonly RouteRule[];
  /** Where the routes came from (`routes.file`), for reloads; null when inline. */
  routesFile: string | null;
}

export interface TenantConfig {
  slug: string;
  displayName: string;
  settings: TenantSettings;
  users: readonly UserRecord[];
  usersFile: string | null;
  clients: readonly ClientConfig[];
  apps: readonly AppConfig[];
}

export interface GatewayConfig {
  server: {
    listen: ListenAddress;
    publicUrl: string;
    trustedProxies: readonly string[];
    shutdownTimeout: number;
    maxHeaderBytes: number;
    ops: { listen: ListenAddress | null };
  };
  store: {
    redis: RedisConfig | null;
    keyPrefix: string;
    failureMode: 'closed';
  };
  keys: { file: string | null; algorithm: Algorithm };
  geoip: { file: string | null };
  tenants: Readonly<Record<string, TenantConfig>>;
  /** Absolute path of the file this came from (null when built in code). */
  source: string | null;
}
