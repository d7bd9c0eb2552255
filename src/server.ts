// Starting and stopping a gateway instance: listeners, demo upstream, graceful shutdown
// (stop accepting, let in-flight requests finish within shutdownTimeout, close the store).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type App } from './app.js';
import type { GatewayConfig, ListenAddress } from './config/types.js';
import { buildDeps } from './build-deps.js';
import type { Deps, DepsOverrides } from './deps.js';
import { loadAllTenantSettings } from './settings/tenant-settings.js';

export interface RunningGateway {
  deps: Deps;
  app: App;
  /** `http://host:port` of the main listener (and the ops listener when set, or its socket path). */
  url: string;
  opsUrl: string | null;
  stop(): Promise<void>;
}

/** Binds `addr` (host:port, or a Unix socket path); the URL it answers on, or the path. */
function listen(server: http.Server, addr: ListenAddress | string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      const a = server.address();
      if (typeof a === 'string' || a === null) return resolve(String(a));
      const host = (a as AddressInfo).family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve(`http://${host}:${a.port}`);
    };
    if (typeof addr === 'string') server.listen(addr, done);
    else server.listen(addr.port, addr.host, done);
  });
}

export interface StartOverrides extends DepsOverrides {
  listen?: ListenAddress;
  /**
   * A cluster worker: the ops handler answers on this Unix socket (for the primary, which
   * owns server.ops.listen and asks each worker there) instead of on server.ops.listen.
   */
  opsSocket?: string;
}

export async function startGateway(config: GatewayConfig, overrides: StartOverrides = {}): Promise<RunningGateway> {
  const deps = await buildDeps(config, overrides);
  await deps.bus.start();
  // Identity providers are discovered in the background: one that is down never delays the start.
  deps.idps.warmUp();
  await loadAllTenantSettings(deps).catch((err: unknown) =>
    deps.log.error({ err: String(err) }, 'could not load saved tenant settings; using the configuration file'),
  );
  const app = createApp(deps);
  const url = await listen(app.server, overrides.listen ?? config.server.listen);
  let ops: http.Server | null = null;
  let opsUrl: string | null = null;
  const opsAt = overrides.opsSocket ?? config.server.ops.listen;
  if (opsAt) {
    ops = http.createServer(app.opsHandler);
    opsUrl = await listen(ops, opsAt);
  } else {
    deps.log.info('metrics are off: /metrics is served only on the ops listener (set server.ops.listen)');
  }
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      deps.shuttingDown = true;
      const closed = Promise.all([closeServer(app.server), ops ? closeServer(ops) : Promise.resolve()]);
      app.server.closeIdleConnections();
      const timer = setTimeout(() => {
        deps.log.warn('shutdown timeout reached: closing remaining connections');
        app.server.closeAllConnections();
        ops?.closeAllConnections();
      }, config.server.shutdownTimeout * 1000);
      timer.unref();
      await closed;
      clearTimeout(timer);
      await app.close();
      await deps.bus.stop();
      deps.geo?.close?.();
      await deps.store.close();
    })();
    return stopping;
  };
  return { deps, app, url, opsUrl, stop };
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
