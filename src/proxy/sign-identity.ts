// Adds X-Auth-Jwt to an allowed identity for apps that receive identity headers. The
// assertion is almost always cached: then no signing, no promise and no copy of the
// identity are made (callers simply await the result).
import type { Deps } from '../deps.js';
import type { Identity } from '../authn/identity.js';
import type { AppRuntime } from '../registry.js';

/** `identity` is the decision's own (fresh per request): X-Auth-Jwt is set on it. */
export function signIdentity(
  deps: Pick<Deps, 'clock' | 'assertions'>,
  identity: Identity | null,
  app: AppRuntime,
): Identity | null | Promise<Identity | null> {
  if (!identity || !app.config.identityHeaders) return identity;
  const now = deps.clock.now();
  const cached = deps.assertions.cached(identity, app.name, now);
  if (cached !== undefined) {
    identity.jwt = cached;
    return identity;
  }
  return deps.assertions.assertion(identity, app.name, app.tenant.issuer, now).then((jwt) => {
    identity.jwt = jwt;
    return identity;
  });
}
