// The identity providers of every tenant, built once at start from the configuration
// (a SIGHUP reloads users and routes, not providers). Discovery starts in the background.
import type { GatewayConfig } from '../config/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { OidcProvider } from './provider.js';

export class IdentityProviders {
  readonly #byTenant = new Map<string, Map<string, OidcProvider>>();

  constructor(config: GatewayConfig, log: Logger, clock: Clock) {
    for (const t of Object.values(config.tenants)) {
      if (t.identityProviders.length === 0) continue;
      // A plain http issuer is reported by preflight (check-config and start).
      this.#byTenant.set(t.slug, new Map(t.identityProviders.map((p) => [p.id, new OidcProvider(p, log, clock)])));
    }
  }

  get(tenant: string, id: string): OidcProvider | undefined {
    return this.#byTenant.get(tenant)?.get(id);
  }

  /** Discovery of every provider, in the background: a provider that is down only logs. */
  warmUp(): void {
    for (const m of this.#byTenant.values()) for (const p of m.values()) p.warmUp();
  }
}
