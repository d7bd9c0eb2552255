// The checks a configuration must pass before the gateway starts, shared by `start` and
// `check-config` so the pre-deploy gate refuses exactly what start refuses: the file
// (syntax, schema, users and routes files), then what the schema cannot see — a usable
// signing key (required with Redis), Redis for several workers, a readable GeoIP
// database, listeners that do not collide, upstreams that are not the gateway itself. Nothing here binds a port or makes
// a network call (Redis and identity providers are reached only by a running gateway).
import { isIPv4, isIPv6 } from 'node:net';
import { openGeo, type GeoLocator } from './geo/locate.js';
import { ephemeralKeySet, keySetFromFile, type KeySet } from './tokens/keys.js';
import type { Logger } from './util/log.js';
import { ConfigError, loadConfigFile, type ConfigIssue, type Env } from './config/load.js';
import { formatPath } from './config/zod-helpers.js';
import type { GatewayConfig, ListenAddress } from './config/types.js';

export interface Preflight {
  config: GatewayConfig;
  /** The signing keys start uses (from keys.file, or ephemeral when it is null). */
  keys: KeySet;
  /** The opened geoip.file, or null when none is set. */
  geo: GeoLocator | null;
  /** Accepted but worth a look (plain http, an ephemeral key): `path: message`. */
  warnings: ConfigIssue[];
}

export interface PreflightOptions {
  env?: Env;
  /** Epoch ms: decides which keys have expired. */
  now: number;
  /** Where the GeoIP reader reports what it opened. */
  log: Logger;
}

/** Loads `path` and runs every check; throws ConfigError with every error and its YAML path. */
export async function preflight(path: string, opts: PreflightOptions): Promise<Preflight> {
  const config = loadConfigFile(path, { env: opts.env });
  const errors: ConfigIssue[] = [
    ...keysRule(config),
    ...workersRule(config),
    ...listenerRules(config),
    ...upstreamRules(config),
  ];
  let keys: KeySet | null = null;
  let geo: GeoLocator | null = null;
  try {
    keys =
      config.keys.file === null
        ? await ephemeralKeySet(config.keys.algorithm, opts.now)
        : await keySetFromFile(config.keys.file, config.keys.algorithm, opts.now / 1000);
  } catch (err) {
    errors.push({ path: 'keys.file', message: (err as Error).message });
  }
  try {
    geo = await openGeo(config.geoip.file, opts.log);
  } catch (err) {
    // openGeo names the setting and the file itself.
    errors.push({ path: 'geoip.file', message: (err as Error).message.replace(/^geoip\.file: /, '') });
  }
  if (errors.length || keys === null) {
    geo?.close?.();
    throw new ConfigError(errors);
  }
  return { config, keys, geo, warnings: warnings(config) };
}

/** Several instances share sessions through Redis; with a key per process they would reject each other's tokens. */
export function keysRule(config: GatewayConfig): ConfigIssue[] {
  return config.store.redis !== null && config.keys.file === null
    ? [
        {
          path: 'keys.file',
          message:
            'required when store.redis is set: every instance must sign with the same key (generate one with: gatekeeper keys generate > keys.json)',
        },
      ]
    : [];
}

/** Worker processes share nothing but Redis: the in-memory store would give each its own sessions. */
export function workersRule(config: GatewayConfig): ConfigIssue[] {
  return config.server.workers > 1 && config.store.redis === null
    ? [
        {
          path: 'server.workers',
          message: `${config.server.workers} workers need store.redis: the in-memory store cannot be shared between processes (a session made on one worker would be unknown to the others, a revocation on one ignored by them); set store.redis or server.workers: 1`,
        },
      ]
    : [];
}

const UNSPECIFIED = new Set(['0.0.0.0', '::', '[::]']);
const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;
const unbracket = (h: string) => h.replace(/^\[(.*)\]$/, '$1');

/** Would a socket bound at `a` and one bound at `b` (both fixed ports) collide? */
function sameSocket(a: ListenAddress, b: ListenAddress): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  const ha = unbracket(a.host).toLowerCase();
  const hb = unbracket(b.host).toLowerCase();
  return ha === hb || UNSPECIFIED.has(ha) || UNSPECIFIED.has(hb);
}

function listenerRules(config: GatewayConfig): ConfigIssue[] {
  const ops = config.server.ops.listen;
  return ops && sameSocket(config.server.listen, ops)
    ? [{ path: 'server.ops.listen', message: 'must differ from server.listen (both would bind the same port)' }]
    : [];
}

/** Does a connection to `host:port` reach a socket bound at `listen`? */
function reaches(host: string, port: number, listen: ListenAddress): boolean {
  if (listen.port === 0 || listen.port !== port) return false;
  const h = unbracket(host).toLowerCase();
  const l = unbracket(listen.host).toLowerCase();
  if (h === l) return true;
  return UNSPECIFIED.has(l) && (LOOPBACK.test(h) || UNSPECIFIED.has(h));
}

function upstreamRules(config: GatewayConfig): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const listen = config.server.listen;
  const ops = config.server.ops.listen;
  for (const t of Object.values(config.tenants)) {
    t.apps.forEach((a, i) => {
      const path = formatPath(['tenants', t.slug, 'apps', i, 'upstream']);
      const u = new URL(a.upstream);
      const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
      if (port === 0) out.push({ path, message: 'port 0 cannot be connected to' });
      else if (reaches(u.hostname, port, listen) || (ops && reaches(u.hostname, port, ops)))
        out.push({ path, message: "is the gateway's own listener: requests would loop back into the gateway" });
    });
  }
  return out;
}

const isLoopbackHost = (host: string): boolean => {
  const h = unbracket(host);
  return LOOPBACK.test(h) || (!isIPv4(h) && !isIPv6(h) && h.endsWith('.localhost'));
};

function warnings(config: GatewayConfig): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (config.keys.file === null)
    out.push({
      path: 'keys.file',
      message:
        'not set: an ephemeral signing key is generated at each start; tokens die with the process (fine for the demo only)',
    });
  if (!config.server.publicUrl.startsWith('https:'))
    out.push({
      path: 'server.publicUrl',
      message: 'plain http: session cookies are sent without Secure; use https in production',
    });
  for (const t of Object.values(config.tenants)) {
    t.identityProviders.forEach((p, i) => {
      const issuer = new URL(p.issuer);
      if (issuer.protocol === 'http:')
        out.push({
          path: formatPath(['tenants', t.slug, 'identityProviders', i, 'issuer']),
          message: isLoopbackHost(issuer.hostname)
            ? 'plain http: acceptable for a development IdP on loopback only'
            : 'plain http to a host that is not loopback: codes, ID tokens and the client secret travel in clear; use https',
        });
    });
  }
  return out;
}
