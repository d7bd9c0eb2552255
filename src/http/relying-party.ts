// The WebAuthn relying party of a request (SPEC §13): RP ID = the tenant's `mfa.rpId` or the
// publicUrl host; the origin a ceremony must come from = the publicUrl origin, or the
// tenant app host the page was served on (the gateway's pages answer on app hosts too, as
// under nginx auth_request) when the RP ID covers that host.
import { relyingParty, type RelyingParty } from '../mfa/webauthn.js';
import { hostMatches, hostnameOf } from '../util/host.js';
import type { GatewayContext } from './context.js';

export function relyingPartyFor(ctx: Pick<GatewayContext<unknown>, 'req' | 'tenant' | 'publicUrl'>): RelyingParty {
  const { tenant } = ctx;
  const pub = new URL(ctx.publicUrl);
  const rpId = tenant.settings.mfa.rpId;
  const name = tenant.config.displayName;
  const host = ctx.req.headers.host;
  const hostname = hostnameOf(host);
  if (host !== undefined && hostname !== null && host !== pub.host && hostMatches(hostname, tenant.appHosts)) {
    try {
      return relyingParty(`${pub.protocol}//${host}`, rpId ?? pub.hostname, name);
    } catch {
      // The RP ID does not cover this app host: ceremonies work on the publicUrl host only.
    }
  }
  return relyingParty(ctx.publicUrl, rpId, name);
}
