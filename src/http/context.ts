// What a gateway-endpoint handler receives: parsed request facts and the tenant.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';

/**
 * `D` is the slice of the gateway's dependencies the handler reads (a `Pick<Deps, …>` or a
 * type of its own, as pipeline steps do); the route table hands every handler all of Deps.
 */
export interface GatewayContext<D = Deps> {
  req: IncomingMessage;
  res: ServerResponse;
  deps: D;
  tenant: TenantRuntime;
  /** The request URL (path relative to the gateway's own origin); parsed on first read. */
  readonly url: URL;
  /** Path parameters from the route pattern. */
  params: Record<string, string>;
  clientIp: string;
  publicUrl: string;
}

export type Handler<D = Deps> = (ctx: GatewayContext<D>) => Promise<void>;
