// @ts-check
// The benchmark's modes, as data. A mode names the server that
// answers it and says how to build its load target once that server runs:
//   target({ srv, ctx }) -> { url, headers, tokens? }   or   { skip: reason }
// `tokens` (a list) makes the load generator send `Authorization: Bearer <token>` cycling
// through them, one per request (wrk: a generated Lua script).
// Servers: 'upstream' and 'bare-proxy' and 'node-stack' are shared processes; every
// 'gateway' mode gets a gateway process of its own (same config, same Redis), so its CPU
// time and peak RSS are its own.
// Adding a mode = one entry here (plus, for a new kind of server, one in servers.mjs).
import { APP_HOST, SLUG, issueTokens } from './gateway.mjs';

/** @typedef {import('./types.js').ModeDef} ModeDef */
/** @typedef {import('./types.js').ModeContext} ModeContext */
/** @typedef {import('./types.js').Server} Server */
/** @typedef {import('./types.js').TargetOrSkip} TargetOrSkip */

export const COLD_TOKENS = 1000;

/**
 * Bearer modes need tokens from the mode's own gateway (tokens are signed by it).
 * @param {Server} srv
 * @param {ModeContext} ctx
 * @param {number} n
 * @returns {Promise<TargetOrSkip>}
 */
async function bearer(srv, ctx, n) {
  const r = await issueTokens(srv.url, await ctx.sessionCookie(srv), n);
  if ('skip' in r) return r;
  return n === 1
    ? { url: `${srv.url}/`, headers: { Host: APP_HOST, Authorization: `Bearer ${r.tokens[0]}` } }
    : { url: `${srv.url}/`, headers: { Host: APP_HOST }, tokens: r.tokens };
}

/**
 * Apache modes: tokens of the gateway whose keys Apache trusts (servers.mjs), one or many.
 * @param {Server} srv
 * @param {number} n
 * @returns {Promise<TargetOrSkip>}
 */
async function apacheBearer(srv, n) {
  if (!srv.tokens) throw new Error(`${srv.label} issues no tokens`);
  const r = await srv.tokens(n);
  if ('skip' in r) return r;
  return n === 1
    ? { url: `${srv.url}/`, headers: { Authorization: `Bearer ${r.tokens[0]}` } }
    : { url: `${srv.url}/`, headers: {}, tokens: r.tokens };
}

const APACHE =
  "Apache httpd (mpm_event) + mod_auth_openidc as an OAuth 2.0 resource server validating the gateway's access tokens, mod_proxy_http to the same upstream";

/** @type {ModeDef[]} */
export const MODES = [
  {
    name: 'upstream',
    about: 'the upstream app called directly, no proxy (the ceiling of this machine)',
    server: 'upstream',
    reachesUpstream: true,
    target: async ({ srv }) => ({ url: `${srv.url}/`, headers: {} }),
  },
  {
    name: 'bare-proxy',
    about: 'a bare http-proxy passthrough with a keep-alive agent: the reference of every ratio',
    server: 'bare-proxy',
    reference: true,
    openLoop: true,
    reachesUpstream: true,
    target: async ({ srv }) => ({ url: `${srv.url}/`, headers: {} }),
  },
  {
    name: 'bare-undici',
    about:
      'a bare undici Pool passthrough (dispatch straight into the response), no auth: the fastest plain forwarder we know here',
    server: 'bare-undici',
    reachesUpstream: true,
    target: async ({ srv }) => ({ url: `${srv.url}/`, headers: {} }),
  },
  {
    name: 'gateway-cookie',
    about:
      'the gateway, every request authenticated by a login-session cookie looked up in Redis (activity writes included)',
    server: 'gateway',
    openLoop: true,
    reachesUpstream: true,
    target: async ({ srv, ctx }) => ({
      url: `${srv.url}/`,
      headers: { Host: APP_HOST, Cookie: await ctx.sessionCookie(srv) },
    }),
  },
  {
    name: 'gateway-bearer-hot',
    about: 'the gateway, every request authenticated by the same bearer JWT (access token of the session)',
    server: 'gateway',
    reachesUpstream: true,
    apachePeer: 'apache-bearer-hot',
    target: ({ srv, ctx }) => bearer(srv, ctx, 1),
  },
  {
    name: 'gateway-bearer-cold',
    about: `the gateway, bearer JWTs cycling through ${COLD_TOKENS.toLocaleString('en-US')} distinct tokens (defeats a verified-token cache)`,
    server: 'gateway',
    reachesUpstream: true,
    apachePeer: 'apache-bearer-cold',
    target: ({ srv, ctx }) => bearer(srv, ctx, COLD_TOKENS),
  },
  {
    name: 'apache-bearer-hot',
    about: `${APACHE}; every request carries the same token`,
    server: 'apache',
    reachesUpstream: true,
    target: ({ srv }) => apacheBearer(srv, 1),
  },
  {
    name: 'apache-bearer-cold',
    about: `${APACHE}; ${COLD_TOKENS.toLocaleString('en-US')} distinct tokens, one per request in turn`,
    server: 'apache',
    reachesUpstream: true,
    target: ({ srv }) => apacheBearer(srv, COLD_TOKENS),
  },
  {
    name: 'forward-auth',
    about: `the forward-auth endpoint alone (GET /t/${SLUG}/auth with X-Original-URI and the cookie, as nginx auth_request sends it)`,
    server: 'gateway',
    reachesUpstream: false,
    target: async ({ srv, ctx }) => ({
      url: `${srv.url}/t/${SLUG}/auth`,
      headers: {
        Host: APP_HOST,
        'X-Original-URI': '/',
        'X-Original-Method': 'GET',
        Cookie: await ctx.sessionCookie(srv),
      },
    }),
    // The generic probe (one request before the load) turns a 404 into a skip.
    notImplementedOn404: `GET /t/${SLUG}/auth answered 404: the forward-auth endpoint is not implemented yet`,
  },
  {
    name: 'node-stack',
    about:
      'express + express-session + connect-redis (same Redis) + http-proxy-middleware: session required, then proxied',
    server: 'node-stack',
    reachesUpstream: true,
    target: async ({ srv, ctx }) => ({ url: `${srv.url}/`, headers: { Cookie: await ctx.nodeStackCookie(srv) } }),
  },
];
