// Everything a request handler needs, built once and injected: no module-level state.
import type { GatewayConfig } from './config/types.js';
import { buildRegistry, type Registry } from './registry.js';
import { RevocationCache } from './revocation/cache.js';
import { createStore } from './store/index.js';
import type { SessionStore } from './store/types.js';
import { type Clock, systemClock } from './util/clock.js';
import { compileTrust, type TrustFn } from './util/client-ip.js';
import { createLogger, type Logger } from './util/log.js';
import { createMetrics, type Metrics } from './util/metrics.js';
import { AuditLog } from './audit.js';

export interface Deps {
  /** Swapped as a whole on reload; read it once per request. */
  registry: Registry;
  store: SessionStore;
  clock: Clock;
  log: Logger;
  audit: AuditLog;
  metrics: Metrics;
  revocations: RevocationCache;
  trust: TrustFn;
  /** Set during graceful shutdown: /readyz answers 503. */
  shuttingDown: boolean;
}

export interface DepsOverrides {
  store?: SessionStore;
  clock?: Clock;
  log?: Logger;
}

export function buildDeps(config: GatewayConfig, overrides: DepsOverrides = {}): Deps {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger();
  const store = overrides.store ?? createStore(config.store, { clock, log });
  if (!config.server.publicUrl.startsWith('https:')) {
    log.warn({ publicUrl: config.server.publicUrl }, 'publicUrl is plain http: session cookies are sent without Secure; use https in production');
  }
  return {
    registry: buildRegistry(config),
    store,
    clock,
    log,
    audit: new AuditLog(log),
    metrics: createMetrics({ defaultMetrics: true }),
    revocations: new RevocationCache(),
    trust: compileTrust(config.server.trustedProxies),
    shuttingDown: false,
  };
}
