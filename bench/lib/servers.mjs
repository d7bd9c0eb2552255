// @ts-check
// How each kind of server a mode names is started (bench/lib/modes.mjs `server`): shared
// ones run once for every mode naming them, every gateway mode gets a process of its own
// (same config, same Redis) so that its CPU time and memory are its own.
import { apacheAlgUnavailable, findApache, startApache } from './apache.mjs';
import { startGateway, writeConfig } from './gateway.mjs';
import { request } from './http.mjs';

/** @typedef {import('./fleet.mjs').Fleet} Fleet */
/** @typedef {import('./types.js').Alg} Alg */
/** @typedef {import('./types.js').ModeContext} ModeContext */
/** @typedef {import('./types.js').Redis} Redis */
/** @typedef {import('./types.js').Server} Server */
/** @typedef {import('./types.js').ServerKind} ServerKind */
/** @typedef {import('./types.js').ServerStarter} ServerStarter */

/**
 * @param {{ fleet: Fleet, upstream: Server, redis: Redis, alg: Alg, connections: number, ctx: ModeContext, log: (...a: unknown[]) => void }} base
 * @returns {{ starters: Record<ServerKind, ServerStarter>, gatewayConfig: () => { file: string, keysFile: string | null } | null }}
 */
export function serverStarters({ fleet, upstream, redis, alg, connections, ctx, log }) {
  /** @type {{ file: string, keysFile: string | null } | null} */
  let gatewayConfig = null;
  /** @param {string} label @returns {Promise<Server>} */
  const gateway = async (label) => {
    gatewayConfig ??= await writeConfig(fleet.tmp, { redisUrl: redis.url, upstreamUrl: upstream.url, alg });
    const gw = await startGateway(gatewayConfig.file, fleet.cpus, label);
    fleet.track(label, gw.child);
    return { label, ...gw };
  };
  // The gateway whose tokens the Apache modes verify: a process of its own, idle during the load.
  /** @type {Promise<Server> | null} */
  let issuer = null;
  /** @type {Promise<Server> | null} */
  let apache = null;
  /** @type {Record<ServerKind, ServerStarter>} */
  const starters = {
    upstream: { shared: true, start: async () => upstream },
    'bare-proxy': { shared: true, start: () => fleet.startScript('bare-proxy', 'bare-proxy.mjs', [upstream.url]) },
    'bare-undici': { shared: true, start: () => fleet.startScript('bare-undici', 'bare-undici.mjs', [upstream.url]) },
    'node-stack': {
      shared: true,
      start: () => fleet.startScript('node-stack', 'node-stack.mjs', [upstream.url, redis.url]),
    },
    gateway: { shared: false, start: gateway },
    apache: {
      shared: true,
      unavailable: async () => {
        const install = await findApache();
        return 'missing' in install ? install.missing : apacheAlgUnavailable(alg);
      },
      // Once for both Apache modes, also when it fails (the same error for both).
      start: (label) =>
        (apache ??= (async () => {
          const gw = await (issuer ??= gateway('gateway[tokens]'));
          return startApache({
            fleet,
            label,
            upstreamUrl: upstream.url,
            connections,
            issuer: gw,
            cookie: await ctx.sessionCookie(gw),
            keysFile: gatewayConfig?.keysFile ?? null,
            upstreamHits: () => upstreamHits(upstream),
            log,
          });
        })()),
    },
  };
  return { starters, gatewayConfig: () => gatewayConfig };
}

/** The upstream every proxy forwards to, started first. @param {Fleet} fleet */
export function startUpstream(fleet) {
  return fleet.startScript('upstream', 'upstream.mjs', []);
}

/** Requests the upstream served so far (asked directly, not counted). @param {Server} upstream @returns {Promise<number>} */
export async function upstreamHits(upstream) {
  return JSON.parse((await request(`${upstream.url}/__bench/hits`)).body).hits;
}
