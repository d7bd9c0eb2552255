// Adds X-Auth-Jwt to an allowed identity for apps that receive identity headers.
import type { Deps } from '../deps.js';
import type { Identity } from '../pipeline/scope.js';
import type { AppRuntime } from '../registry.js';

export async function signIdentity(deps: Deps, identity: Identity | null, app: AppRuntime): Promise<Identity | null> {
  if (!identity || !app.config.identityHeaders) return identity;
  const jwt = await deps.assertions.assertion(identity, app.name, app.tenant.issuer, deps.clock.now());
  return { ...identity, jwt };
}
