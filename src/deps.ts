// Everything a request handler needs, built once and injected: no module-level state.
// Only the shape lives here (built by build-deps.ts), so that any module may name the slice
// it reads (`Pick<Deps, …>`) without importing what builds it.
import type { IdentityProviders } from './idp/registry.js';
import type { FederationStore } from './store/federation.js';
import type { FactorStore } from './store/factors.js';
import type { MfaCrypto } from './mfa/crypto.js';
import type { VerifiedSecrets } from './tokens/verified-secrets.js';
import type { Registry } from './registry.js';
import type { RevocationBus } from './revocation/bus.js';
import type { RevocationCache } from './revocation/cache.js';
import type { SessionStore } from './store/types.js';
import type { KeySet } from './tokens/keys.js';
import type { VerifiedTokenCache } from './tokens/token-cache.js';
import type { SessionReadCache } from './session/read-cache.js';
import type { AssertionSigner } from './tokens/assertion.js';
import type { Clock } from './util/clock.js';
import type { TrustFn } from './util/client-ip.js';
import type { Logger } from './util/log.js';
import type { Metrics } from './util/metrics.js';
import type { AuditLog } from './audit.js';
import type { LiveConnections } from './proxy/live-connections.js';
import type { GeoLocator } from './geo/locate.js';
import type { HashPool } from './session/hash-pool.js';

export interface Deps {
  /** Swapped as a whole on reload; read it once per request. */
  registry: Registry;
  store: SessionStore;
  clock: Clock;
  log: Logger;
  audit: AuditLog;
  metrics: Metrics;
  revocations: RevocationCache;
  bus: RevocationBus;
  keys: KeySet;
  tokenCache: VerifiedTokenCache;
  /** Session records and jti answers of the last few seconds, for the request path only. */
  readCache: SessionReadCache;
  assertions: AssertionSigner;
  /** Open WebSockets by session id / jti, closed on revocation. */
  live: LiveConnections;
  /** Session locations from geoip.file; null when none is configured. */
  geo: GeoLocator | null;
  trust: TrustFn;
  /** The bound on concurrent password / client-secret hash checks (session/hash-pool.ts). */
  hashPool: HashPool;
  /** Sign-in through identity providers: its storage (users seen, sid index, flows) and the providers. */
  federation: FederationStore;
  idps: IdentityProviders;
  /** Second factors (SPEC §13): each user's TOTP and WebAuthn factors and recovery codes. */
  factors: FactorStore;
  /** The keys of second factors, derived from keys.file: sealed TOTP secrets, recovery-code hashes. */
  mfaCrypto: MfaCrypto;
  /** Client secrets verified in the last minutes (src/tokens/verified-secrets.ts). */
  verifiedSecrets: VerifiedSecrets;
  /** Set during graceful shutdown: /readyz answers 503. */
  shuttingDown: boolean;
}

export interface DepsOverrides {
  store?: SessionStore;
  clock?: Clock;
  log?: Logger;
  keys?: KeySet;
  geo?: GeoLocator | null;
  hashPool?: HashPool;
}
