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
  mfa: MfaSettings;
}

/** Second factors and passkeys (SPEC §13). */
export interface MfaSettings {
  /** Offer TOTP (authenticator app) enrolment. */
  totp: boolean;
  /** Offer WebAuthn security keys and passkeys. */
  webauthn: boolean;
  /** "Sign in with a passkey" on the login page. */
  passkeyLogin: boolean;
  /** Users without a second factor must enrol one after signing in; every route then needs it. */
  required: boolean;
  /** The WebAuthn relying-party id; null = the publicUrl host. */
  rpId: string | null;
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

/** `require: authenticated` is `{ roles: [], freshAuth: null }` (DEFAULTS.route.require). */
export interface RouteRequirement {
  roles: readonly string[];
  freshAuth: number | null;
  /** A second factor is needed (and with freshAuth: checked within that many seconds). */
  mfa: boolean;
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

/** An upstream OpenID Provider users of the tenant may sign in with (SPEC §12). */
export interface IdentityProviderConfig {
  /** [a-z0-9-]{1,32}, unique in the tenant; users are `{id}:{sub}`. */
  id: string;
  displayName: string;
  /** Discovery at `{issuer}/.well-known/openid-configuration`; the ID token's `iss` must equal it. */
  issuer: string;
  clientId: string;
  /** null: a public client (PKCE only). */
  clientSecret: string | null;
  scopes: readonly string[];
  /** Which claim gives the username, email, name and roles. */
  claims: { username: string; email: string; name: string; roles: string };
  /** IdP role or group → tenant role; unmapped ones are kept as they are. */
  roleMap: Readonly<Record<string, string>>;
  /** Non-empty: only users holding one of these (after roleMap) may sign in. */
  allowedRoles: readonly string[];
  backchannelLogout: boolean;
  endSessionOnLogout: boolean;
}

export interface TenantConfig {
  slug: string;
  displayName: string;
  settings: TenantSettings;
  users: readonly UserRecord[];
  usersFile: string | null;
  clients: readonly ClientConfig[];
  identityProviders: readonly IdentityProviderConfig[];
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
    /** Worker processes on the one port (node:cluster); 1 = no cluster. `auto` is resolved at load. */
    workers: number;
  };
  store: {
    redis: RedisConfig | null;
    keyPrefix: string;
    failureMode: 'closed';
    /**
     * What a session creation or a revocation waits for before the gateway answers: the
     * master applied it (`local`), or also a replica acknowledged it (`replicated`, Redis only).
     */
    durability: 'local' | 'replicated';
    /** replicated: how long to wait for a replica's acknowledgement, in milliseconds (then 503). */
    replicaTimeout: number;
  };
  keys: { file: string | null; algorithm: Algorithm };
  geoip: { file: string | null };
  tenants: Readonly<Record<string, TenantConfig>>;
  /** Absolute path of the file this came from (null when built in code). */
  source: string | null;
}
