// What Traefik does with deploy/traefik/dynamic.yml to one client request, read from the file
// (no Traefik binary here). Following Traefik's forwardAuth and headers middlewares: the
// router with the highest priority whose rule matches is chosen; its middlewares run in
// order. `headers.customRequestHeaders` with an empty value deletes that header (names are
// Go-canonical: textproto.CanonicalMIMEHeaderKey). `forwardAuth` sends a GET to `address`
// with the client's headers (minus hop-by-hop ones) and, with trustForwardHeader, the
// entrypoint's X-Forwarded-Method/-Proto/-Host/-Uri/-For; a 2xx copies authResponseHeaders
// into the request (after deleting the client's copies of those names), anything else is
// relayed to the client.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { request, type Response } from './http.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`dynamic.yml: ${what} is not a map`);
  return v as Obj;
};

export interface TraefikConfig {
  middlewares: Obj;
  routers: Obj;
}

export function loadTraefikConfig(path: URL): TraefikConfig {
  const http = obj(obj(parse(readFileSync(path, 'utf8')), 'the file').http, 'http');
  return { middlewares: obj(http.middlewares, 'middlewares'), routers: obj(http.routers, 'routers') };
}

/** Go's textproto.CanonicalMIMEHeaderKey for names made of token characters. */
export function canonical(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p))
    .join('-');
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization'];

/** The router a request takes: only Host(`…`) and PathPrefix(`…`) rules are modelled. */
function chooseRouter(cfg: TraefikConfig, host: string, path: string): [string, Obj] {
  const candidates = Object.entries(cfg.routers)
    .map(([name, r]) => [name, obj(r, `routers.${name}`)] as [string, Obj])
    .filter(([, r]) => {
      const rule = String(r.rule);
      const hostOk = [...rule.matchAll(/Host\(`([^`]+)`\)/g)].some((m) => m[1] === host);
      const prefixes = [...rule.matchAll(/PathPrefix\(`([^`]+)`\)/g)].map((m) => m[1]!);
      if (rule.replace(/Host\(`[^`]+`\)|PathPrefix\(`[^`]+`\)|&&|\s/g, '') !== '')
        throw new Error(`model: rule ${rule} is not modelled`);
      return hostOk && prefixes.every((p) => path.startsWith(p));
    })
    .sort(([, a], [, b]) => Number(b.priority ?? 0) - Number(a.priority ?? 0));
  if (!candidates[0]) throw new Error(`model: no router for ${host}${path}`);
  return candidates[0];
}

export interface TraefikOutcome {
  denied: Response | null;
  forwarded: { service: string; headers: Record<string, string> } | null;
}

/**
 * One client request (HTTPS entrypoint, client address `clientIp`) through the model. The
 * gateway's address in forwardAuth is replaced by `gateway`. Header names as the client sent them.
 */
export async function throughTraefik(
  cfg: TraefikConfig,
  gateway: string,
  req: { method: string; host: string; uri: string; clientIp: string; headers: Record<string, string> },
): Promise<TraefikOutcome> {
  // Go holds headers under canonical names; the entrypoint removes clients' X-Forwarded-*
  // (no forwardedHeaders.insecure / trustedIPs for this client).
  let headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    const c = canonical(k);
    if (!c.startsWith('X-Forwarded-') && !HOP_BY_HOP.includes(k.toLowerCase())) headers[c] = v;
  }
  const forwardedFor = {
    'X-Forwarded-For': req.clientIp,
    'X-Forwarded-Host': req.host,
    'X-Forwarded-Proto': 'https',
    'X-Forwarded-Port': '443',
  };
  const [, router] = chooseRouter(cfg, req.host, req.uri.split('?')[0]!);
  for (const name of (router.middlewares as string[] | undefined) ?? []) {
    const m = obj(cfg.middlewares[name], `middlewares.${name}`);
    if (m.headers !== undefined) {
      const custom = obj(obj(m.headers, 'headers').customRequestHeaders, 'customRequestHeaders');
      for (const [k, v] of Object.entries(custom)) {
        if (v === '') delete headers[canonical(k)];
        else headers[canonical(k)] = String(v);
      }
    } else if (m.forwardAuth !== undefined) {
      const fa = obj(m.forwardAuth, 'forwardAuth');
      const address = new URL(String(fa.address));
      const auth: Record<string, string> = { ...headers, 'Accept-Encoding': 'gzip' };
      delete auth.Host;
      if (fa.trustForwardHeader !== true) throw new Error('model: only trustForwardHeader: true is modelled');
      Object.assign(auth, forwardedFor, { 'X-Forwarded-Method': req.method, 'X-Forwarded-Uri': req.uri });
      const gw = new URL(gateway);
      auth.Host = address.host;
      const answer = await request(gw.origin, address.pathname + address.search, { headers: auth });
      if (answer.status < 200 || answer.status > 299) return { denied: answer, forwarded: null };
      for (const h of (fa.authResponseHeaders as string[] | undefined) ?? []) {
        const c = canonical(h);
        delete headers[c];
        const v = answer.headers[h.toLowerCase()];
        if (typeof v === 'string') headers[c] = v;
      }
    } else {
      throw new Error(`model: middleware ${name} is not modelled`);
    }
  }
  headers = { ...headers, ...forwardedFor };
  return { denied: null, forwarded: { service: String(router.service), headers } };
}
