// Prometheus metrics (prom-client), one registry per gateway instance so tests and
// several in-process instances never share counters. With server.workers > 1 each worker
// keeps its own registry and the primary sums them at scrape time (prom-client's
// AggregatorRegistry over the cluster IPC channel): answerClusterScrapes in the workers,
// clusterMetrics in the primary.
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  requests: Counter<'decision' | 'tenant'>;
  latency: Histogram<'decision' | 'tenant'>;
  sessionsCreated: Counter<'tenant'>;
  sessionsRevoked: Counter<'tenant' | 'reason'>;
  storeErrors: Counter<'op'>;
  propagationDelay: Histogram;
  storeLatency: Histogram<'op'>;
}

/**
 * `defaultMetrics`: the Node process metrics under prom-client's standard names
 * (process_cpu_seconds_total, nodejs_heap_size_total_bytes, …), as dashboards expect them.
 * `cacheStats` is read at scrape time (no per-request cost): hits and misses are counters
 * (the caches count them from the start), the number of entries a gauge.
 */
export function createMetrics(
  opts: {
    defaultMetrics?: boolean;
    cacheStats?: () => Record<string, { hits: number; misses: number; size: number }>;
  } = {},
): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const stats = opts.cacheStats;
  if (stats) {
    for (const [name, help] of [
      ['hits', 'Cache hits'],
      ['misses', 'Cache misses'],
    ] as const) {
      new Counter({
        name: `gatekeeper_cache_${name}_total`,
        help: `${help} by cache`,
        labelNames: ['cache'],
        registers: [registry],
        collect() {
          // The caches keep the running totals; the counter mirrors them at each scrape.
          this.reset();
          for (const [cache, s] of Object.entries(stats())) this.inc({ cache }, s[name]);
        },
      });
    }
    new Gauge({
      name: 'gatekeeper_cache_size',
      help: 'Cache entries by cache',
      labelNames: ['cache'],
      registers: [registry],
      collect() {
        for (const [cache, s] of Object.entries(stats())) this.set({ cache }, s.size);
      },
    });
  }
  return {
    registry,
    requests: new Counter({
      name: 'gatekeeper_requests_total',
      help: 'Requests by decision and tenant',
      labelNames: ['decision', 'tenant'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'gatekeeper_decision_seconds',
      help: 'Time to reach a decision (excludes the upstream)',
      labelNames: ['decision', 'tenant'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    sessionsCreated: new Counter({
      name: 'gatekeeper_sessions_created_total',
      help: 'Login sessions created',
      labelNames: ['tenant'],
      registers: [registry],
    }),
    sessionsRevoked: new Counter({
      name: 'gatekeeper_sessions_revoked_total',
      help: 'Sessions revoked or expired',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'gatekeeper_store_errors_total',
      help: 'Store calls that failed',
      labelNames: ['op'],
      registers: [registry],
    }),
    storeLatency: new Histogram({
      name: 'gatekeeper_store_seconds',
      help: 'Session store call latency by operation',
      labelNames: ['op'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    propagationDelay: new Histogram({
      name: 'gatekeeper_revocation_propagation_seconds',
      help: 'Delay between a revocation on one instance and its arrival here',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
  };
}

/** The counter and histogram children of one (decision, tenant), bound once per Metrics. */
interface DecisionSeries {
  requests: { inc(): void };
  latency: { observe(seconds: number): void };
}
const decisionSeries = new WeakMap<Metrics, Map<string, DecisionSeries>>();

/** Counts one pipeline decision and its latency (proxy and forward-auth alike). */
export function observeDecision(m: Metrics, decision: string, tenant: string | undefined, startedNs: bigint): void {
  let byKey = decisionSeries.get(m);
  if (!byKey) decisionSeries.set(m, (byKey = new Map()));
  const t = tenant ?? 'none';
  const key = `${decision}\0${t}`;
  let series = byKey.get(key);
  // Bounded: decisions are a fixed set, tenants come from the configuration.
  if (!series)
    byKey.set(key, (series = { requests: m.requests.labels(decision, t), latency: m.latency.labels(decision, t) }));
  series.requests.inc();
  series.latency.observe(Number(process.hrtime.bigint() - startedNs) / 1e9);
}

/**
 * A cluster worker: answer the primary's scrape requests. Called before the gateway is
 * built (an empty registry until then, so a scrape during start-up does not wait for its
 * timeout), and again with the gateway's registry once it exists.
 */
export function answerClusterScrapes(registry: Registry = new Registry()): void {
  // The constructor is what installs prom-client's IPC listener (once per process).
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/** A cluster primary: every worker's metrics, counters and histograms summed. */
export function clusterMetrics(): { metrics(): Promise<string>; contentType: string } {
  const aggregator = new AggregatorRegistry();
  return { metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType };
}
