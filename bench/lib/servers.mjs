// @ts-check
// How each kind of server a mode names is started (bench/lib/modes.mjs `server`): shared
// ones run once for every mode naming them, every gateway mode gets a process of its own
// (same config, same Redis) so that its CPU time and memory are its own.
import { startGateway, writeConfig } from './gateway.mjs';

/** @typedef {import('./fleet.mjs').Fleet} Fleet */
/** @typedef {import('./types.js').Alg} Alg */
/** @typedef {import('./types.js').Redis} Redis */
/** @typedef {import('./types.js').Server} Server */
/** @typedef {import('./types.js').ServerKind} ServerKind */
/** @typedef {import('./types.js').ServerStarter} ServerStarter */

/**
 * @param {{ fleet: Fleet, upstream: Server, redis: Redis, alg: Alg }} base
 * @returns {{ starters: Record<ServerKind, ServerStarter>, gatewayConfig: () => { file: string, keysFile: string | null } | null }}
 */
export function serverStarters({ fleet, upstream, redis, alg }) {
  /** @type {{ file: string, keysFile: string | null } | null} */
  let gatewayConfig = null;
  /** @type {Record<ServerKind, ServerStarter>} */
  const starters = {
    upstream: { shared: true, start: async () => upstream },
    'bare-proxy': { shared: true, start: () => fleet.startScript('bare-proxy', 'bare-proxy.mjs', [upstream.url]) },
    'bare-undici': { shared: true, start: () => fleet.startScript('bare-undici', 'bare-undici.mjs', [upstream.url]) },
    'node-stack': { shared: true, start: () => fleet.startScript('node-stack', 'node-stack.mjs', [upstream.url, redis.url]) },
    gateway: {
      shared: false,
      start: async (label) => {
        gatewayConfig ??= await writeConfig(fleet.tmp, { redisUrl: redis.url, upstreamUrl: upstream.url, alg });
        const gw = await startGateway(gatewayConfig.file, fleet.cpus, label);
        fleet.track(label, gw.child);
        return { label, ...gw };
      },
    },
  };
  return { starters, gatewayConfig: () => gatewayConfig };
}

/** The upstream every proxy forwards to, started first. @param {Fleet} fleet */
export function startUpstream(fleet) {
  return fleet.startScript('upstream', 'upstream.mjs', []);
}
