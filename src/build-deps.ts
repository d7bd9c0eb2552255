// Builds the gateway's dependencies (the Deps of deps.ts) once per process, and wires the
// revocation bus to the caches and open WebSockets it must reach.
import { IdentityProviders } from './idp/registry.js';
import { federationStoreFor } from './store/federation-for.js';
import { factorStoreFor } from './store/factors-for.js';
import { createMfaCrypto } from './mfa/crypto.js';
import { VerifiedSecrets } from './tokens/verified-secrets.js';
import type { GatewayConfig } from './config/types.js';
import { ConfigError } from './config/load.js';
import { keysRule } from './preflight.js';
import { buildRegistry } from './registry.js';
import { RevocationBus } from './revocation/bus.js';
import { RevocationCache } from './revocation/cache.js';
import { createStore } from './store/index.js';
import { loadKeySet } from './tokens/keys.js';
import { VerifiedTokenCache } from './tokens/token-cache.js';
import { SessionReadCache } from './session/read-cache.js';
import { AssertionSigner } from './tokens/assertion.js';
import { systemClock } from './util/clock.js';
import { compileTrust } from './util/client-ip.js';
import { createLogger } from './util/log.js';
import { createMetrics } from './util/metrics.js';
import { AuditLog } from './audit.js';
import { instrumentStore } from './store/instrumented.js';
import { LiveConnections } from './proxy/live-connections.js';
import { openGeo } from './geo/locate.js';
import { reloadTenantSettings } from './settings/tenant-settings.js';
import { sessionWatch } from './session/live-watch.js';
import { HashPool } from './session/hash-pool.js';
import type { Deps, DepsOverrides } from './deps.js';

export async function buildDeps(config: GatewayConfig, overrides: DepsOverrides = {}): Promise<Deps> {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger();
  // The CLI runs preflight() first; this guard is for callers that start a gateway directly.
  const keysMissing = overrides.keys ? [] : keysRule(config);
  if (keysMissing.length) throw new ConfigError(keysMissing);
  const keys = overrides.keys ?? (await loadKeySet(config.keys, log, clock.now()));
  const tokenCache = new VerifiedTokenCache();
  const revocations = new RevocationCache();
  const readCache = new SessionReadCache(clock);
  // Metrics are served on the ops listener only; without one nobody can read them, so
  // the process and cache collectors are not set up (the counters stay, they cost nothing).
  const metricsOn = config.server.ops.listen !== null;
  const metrics = createMetrics({
    defaultMetrics: metricsOn,
    cacheStats: metricsOn
      ? () => ({
          verified_tokens: tokenCache.stats(),
          revocations: { hits: revocations.hits, misses: revocations.misses, size: revocations.size },
          session_reads: readCache.stats(),
        })
      : undefined,
  });
  const store = instrumentStore(
    overrides.store ?? createStore(config.store, { clock, log }),
    metrics.storeLatency,
    metrics.storeErrors,
  );
  const bus = new RevocationBus(
    store,
    revocations,
    log,
    () => clock.now(),
    (ms) => metrics.propagationDelay.observe(ms / 1000),
  );
  const live = new LiveConnections();
  const deps: Deps = {
    registry: buildRegistry(config),
    store,
    clock,
    log,
    audit: new AuditLog(log),
    metrics,
    revocations,
    bus,
    keys,
    tokenCache,
    readCache,
    assertions: new AssertionSigner(keys),
    live,
    geo: overrides.geo !== undefined ? overrides.geo : await openGeo(config.geoip.file, log),
    trust: compileTrust(config.server.trustedProxies),
    hashPool: overrides.hashPool ?? new HashPool(),
    verifiedSecrets: new VerifiedSecrets(clock),
    federation: federationStoreFor(store, clock),
    factors: factorStoreFor(store),
    mfaCrypto: createMfaCrypto(keys),
    idps: new IdentityProviders(config, log, clock),
    shuttingDown: false,
  };
  live.watchSessions(sessionWatch(deps));
  bus.listen({
    onRevoked: (_kind, id) => {
      readCache.forget(id);
      live.close(id);
    },
    onSessionChanged: (id) => readCache.forget(id),
    // A revoke-all (one message per user): the store already refuses the revoked sessions.
    onUserRevoked: (r) => {
      readCache.forgetUser(r.tenant, r.userId);
      void live.closeUser(r, async (s) => (await store.getSession(s.tenant, s.id)) !== null);
    },
    onReconnect: () => {
      tokenCache.clear();
      readCache.clear();
      // Settings changes may have been missed too.
      for (const slug of deps.registry.tenants.keys()) reloadTenantSettings(deps, slug).catch(() => {});
    },
    onSettingsChanged: (slug) => {
      readCache.clear();
      reloadTenantSettings(deps, slug).catch((err: unknown) =>
        log.error({ err: String(err), tenant: slug }, 'could not reload tenant settings'),
      );
    },
  });
  return deps;
}
