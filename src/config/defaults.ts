// Every configuration default in one place (SPEC §2), each with its unit; the loader fills gaps from here.
import type {
  AppConfig,
  ClientConfig,
  GatewayConfig,
  IdentityProviderConfig,
  RouteRequirement,
  RouteRule,
  TenantSettings,
  UserRecord,
} from './types.js';
import { deepFreeze } from '../util/deep-freeze.js';

type Defaults = {
  readonly server: GatewayConfig['server'];
  readonly store: GatewayConfig['store'];
  readonly keys: GatewayConfig['keys'];
  readonly geoip: GatewayConfig['geoip'];
  readonly settings: TenantSettings;
  /** Per app; `name`, `hosts` and `upstream` are required and have no default. */
  readonly app: Omit<AppConfig, 'name' | 'hosts' | 'upstream' | 'routes' | 'routesFile'>;
  /** Per OAuth client; `id` is required. `secretHash` is required unless `public`. */
  readonly client: Omit<ClientConfig, 'id'>;
  /** `require` is also what a path no route matches needs, and `require: authenticated`. */
  readonly route: Pick<RouteRule, 'methods'> & { readonly require: RouteRequirement };
  /** Per identity provider; `id`, `displayName`, `issuer` and `clientId` are required. */
  readonly identityProvider: Omit<IdentityProviderConfig, 'id' | 'displayName' | 'issuer' | 'clientId'>;
  /** Per user; `id`, `username`, `passwordHash` are required and `name` defaults to the username. */
  readonly user: Pick<UserRecord, 'email' | 'roles'>;
};

export const DEFAULTS: Defaults = deepFreeze({
  server: {
    listen: { host: '0.0.0.0', port: 8080 }, // host:port
    publicUrl: 'http://localhost:8080', // origin only; its scheme decides Secure cookies and __Host-
    trustedProxies: ['loopback'], // proxy-addr names, IPs or CIDRs
    shutdownTimeout: 10, // seconds (10s)
    maxHeaderBytes: 16_384, // bytes; larger request heads get 431
    ops: { listen: null }, // host:port or null = no separate ops listener
    workers: 1, // processes on the one port; `auto` = os.availableParallelism(); > 1 needs store.redis
  },
  store: {
    redis: null, // null = embedded in-memory store (one instance only)
    keyPrefix: 'gk:', // prepended to every Redis key
    failureMode: 'closed', // the only mode: protected routes answer 503 while the store is down
    durability: 'local', // local | replicated (logins and revocations wait for a replica: WAIT)
    replicaTimeout: 200, // milliseconds a replicated write waits for a replica, then 503
  },
  keys: {
    file: null, // path of a private JWKS; null = ephemeral key (demo only, warned about)
    algorithm: 'RS256', // RS256 | ES256 | EdDSA
  },
  geoip: {
    file: null, // path of a MaxMind .mmdb; null = no session locations
  },
  // Tenant `displayName` defaults to the slug; `users`, `clients`, `apps` to empty lists.
  settings: {
    sessionLifetime: 86_400, // seconds (24h)
    accessTokenLifetime: 3_600, // seconds (1h)
    refreshTokenLifetime: 2_592_000, // seconds (30d)
    idleTimeout: 1_800, // seconds (30m)
    rememberMe: {
      enabled: true,
      duration: 2_592_000, // seconds (30d)
    },
    maxConcurrentSessions: 0, // sessions per user; 0 = unlimited
    concurrentSessionPolicy: 'evict-oldest', // evict-oldest | reject
    ipBinding: 'off', // off | exact | subnet (IPv4 /24, IPv6 /64)
    ipBindingAction: 'reject', // reject | revoke
    cookie: {
      sameSite: 'lax', // strict | lax
      domain: null, // null = host-only cookie (__Host- prefix on https)
    },
    loginThrottle: {
      maxFailures: 5, // failed logins per username and per client IP within `window`
      window: 900, // seconds (15m)
      lockout: 1_800, // seconds (30m)
    },
    refreshGrace: 10, // seconds (10s)
    mfa: {
      totp: true, // offer TOTP enrolment
      webauthn: true, // offer security keys and passkeys
      passkeyLogin: true, // "Sign in with a passkey" on the login page
      required: false, // true: users must enrol a second factor, and every route needs it
      rpId: null, // WebAuthn RP ID; null = the publicUrl host
    },
  },
  app: {
    identityHeaders: true, // send X-Auth-* headers upstream
    audience: null, // null = bearer tokens must carry the tenant issuer URL in `aud`
    caseInsensitivePaths: false, // route matching is case-sensitive
    timeout: 30, // seconds (30s) to wait for the upstream's response before 504
  },
  client: {
    public: false, // confidential: authenticates with a secret
    secretHash: null, // scrypt hash from `hash-password`; required when not public
    redirectUris: [], // absolute URIs, compared exactly
    grants: ['authorization_code', 'refresh_token'],
    scopes: [], // scopes this client may request
    audience: null, // null = the tenant issuer URL
  },
  route: {
    methods: null, // null = every method
    require: { roles: [], freshAuth: null, mfa: false }, // signed in, any role, no fresh-login window, no 2nd factor
  },
  identityProvider: {
    clientSecret: null, // null = public client (PKCE only)
    scopes: ['openid', 'email', 'profile'],
    claims: { username: 'preferred_username', email: 'email', name: 'name', roles: 'groups' },
    roleMap: {}, // IdP role/group → tenant role; unmapped ones are kept
    allowedRoles: [], // empty = every user of the IdP may sign in
    backchannelLogout: true, // accept OpenID Connect back-channel logout tokens
    endSessionOnLogout: false, // logout also ends the IdP session (RP-initiated logout)
  },
  user: {
    email: '', // empty = no X-Auth-Email header value
    roles: [], // role names, e.g. admin
  },
});
