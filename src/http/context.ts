// What a gateway-endpoint handler receives: parsed request facts and the tenant.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';

export interface GatewayContext {
  req: IncomingMessage;
  res: ServerResponse;
  deps: Deps;
  tenant: TenantRuntime;
  /** The request URL (path relative to the gateway's own origin); parsed on first read. */
  readonly url: URL;
  /** Path parameters from the route pattern. */
  params: Record<string, string>;
  clientIp: string;
  publicUrl: string;
}

export type Handler = (ctx: GatewayContext) => Promise<void>;
