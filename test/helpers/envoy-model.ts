// What Envoy does with deploy/envoy/envoy.yaml to one client request, read from the file
// (no Envoy binary here, and no schema validator for Envoy's API on npm). The model follows
// Envoy's documented order: the connection manager drops headers with `_`
// (headers_with_underscores_action), the route is chosen, the HTTP filters run in their
// listed order (header_mutation removes; ext_authz asks the gateway with the original method,
// path_prefix + path and the allowed_headers, then on 200 sets allowed_upstream_headers from
// the answer, or relays a denial with allowed_client_headers), and finally the router applies
// the route's and virtual host's request_headers_to_remove before sending to the cluster.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { request, type Response } from './http.js';

type Obj = Record<string, unknown>;
type Pattern = { exact?: string; prefix?: string };

const obj = (v: unknown, what: string): Obj => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`envoy.yaml: ${what} is not a map`);
  return v as Obj;
};
const list = (v: unknown, what: string): unknown[] => {
  if (!Array.isArray(v)) throw new Error(`envoy.yaml: ${what} is not a list`);
  return v;
};

export interface EnvoyConfig {
  raw: Obj;
  hcm: Obj;
  virtualHost: Obj;
  filters: { name: string; config: Obj }[];
}

export function loadEnvoyConfig(path: URL): EnvoyConfig {
  const raw = obj(parse(readFileSync(path, 'utf8')), 'the file');
  const listener = obj(list(obj(raw.static_resources, 'static_resources').listeners, 'listeners')[0], 'listener');
  const chain = obj(list(listener.filter_chains, 'filter_chains')[0], 'filter chain');
  const hcmFilter = obj(list(chain.filters, 'filters')[0], 'network filter');
  const hcm = obj(hcmFilter.typed_config, 'HttpConnectionManager');
  const virtualHost = obj(
    list(obj(hcm.route_config, 'route_config').virtual_hosts, 'virtual_hosts')[0],
    'virtual host',
  );
  const filters = list(hcm.http_filters, 'http_filters').map((f, i) => {
    const o = obj(f, `http_filters[${i}]`);
    return { name: String(o.name), config: obj(o.typed_config, `http_filters[${i}].typed_config`) };
  });
  return { raw, hcm, virtualHost, filters };
}

const matches = (name: string, patterns: Pattern[]): boolean =>
  patterns.some((p) =>
    p.exact !== undefined ? name === p.exact : p.prefix !== undefined && name.startsWith(p.prefix),
  );
const patternsOf = (m: unknown): Pattern[] => (m === undefined ? [] : (obj(m, 'matcher').patterns as Pattern[]));

export interface EnvoyOutcome {
  /** What the client got back when Envoy answered itself (a denial relayed from the gateway). */
  denied: Response | null;
  /** The request as Envoy sends it to a cluster (null when denied). */
  forwarded: { cluster: string; method: string; path: string; headers: Record<string, string> } | null;
}

/**
 * One client request through the model. `gateway` replaces the gatekeeper cluster's address.
 * Header names are given lowercase, as Envoy (HTTP/2 semantics) holds them.
 */
export async function throughEnvoy(
  cfg: EnvoyConfig,
  gateway: string,
  req: { method: string; path: string; headers: Record<string, string> },
): Promise<EnvoyOutcome> {
  let headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const opts = obj(cfg.hcm.common_http_protocol_options ?? {}, 'common_http_protocol_options');
  const underscores = opts.headers_with_underscores_action ?? 'ALLOW';
  if (underscores === 'DROP_HEADER')
    headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.includes('_')));
  else if (underscores !== 'ALLOW') throw new Error(`model: headers_with_underscores_action ${String(underscores)}`);

  const route = list(cfg.virtualHost.routes, 'routes')
    .map((r, i) => obj(r, `routes[${i}]`))
    .find((r) => req.path.startsWith(String(obj(r.match, 'match').prefix)));
  if (!route) throw new Error(`model: no route for ${req.path}`);
  const perFilter = obj(route.typed_per_filter_config ?? {}, 'typed_per_filter_config');

  for (const f of cfg.filters) {
    if (f.name === 'envoy.filters.http.header_mutation') {
      const mutations = list(obj(f.config.mutations, 'mutations').request_mutations, 'request_mutations');
      for (const m of mutations) {
        const remove = obj(m, 'request mutation').remove;
        if (typeof remove !== 'string') throw new Error('model: only `remove` request mutations are modelled');
        delete headers[remove];
      }
    } else if (f.name === 'envoy.filters.http.ext_authz') {
      if (perFilter[f.name] !== undefined && obj(perFilter[f.name], 'per-route ext_authz').disabled === true) continue;
      if (f.config.failure_mode_allow !== false) throw new Error('model: failure_mode_allow must be false');
      const service = obj(f.config.http_service, 'http_service');
      const allowed = patternsOf(f.config.allowed_headers);
      const check: Record<string, string> = { 'content-length': '0' };
      for (const [k, v] of Object.entries(headers))
        if (k === 'host' || k === 'authorization' || matches(k, allowed)) check[k] = v;
      const answer = await request(gateway, `${String(service.path_prefix)}${req.path}`, {
        method: req.method,
        headers: check,
      });
      const response = obj(service.authorization_response, 'authorization_response');
      if (answer.status !== 200) {
        // Denied: the client gets the gateway's status, body and the allowed client headers.
        const keep = [
          ...patternsOf(response.allowed_client_headers),
          { exact: 'www-authenticate' },
          { exact: 'location' },
        ];
        const relayed = Object.fromEntries(Object.entries(answer.headers).filter(([k]) => matches(k, keep)));
        return { denied: { ...answer, headers: relayed }, forwarded: null };
      }
      for (const [k, v] of Object.entries(answer.headers))
        if (typeof v === 'string' && matches(k, patternsOf(response.allowed_upstream_headers))) headers[k] = v;
    } else if (f.name === 'envoy.filters.http.router') {
      const removed = [
        ...((cfg.virtualHost.request_headers_to_remove as string[] | undefined) ?? []),
        ...((route.request_headers_to_remove as string[] | undefined) ?? []),
      ];
      for (const k of removed) delete headers[k];
      const cluster = String(obj(route.route, 'route').cluster);
      return { denied: null, forwarded: { cluster, method: req.method, path: req.path, headers } };
    } else {
      throw new Error(`model: filter ${f.name} is not modelled`);
    }
  }
  throw new Error('model: no router filter');
}
