// @ts-check
// Setting the modes up before any load: start each mode's server, build its load target,
// and send one request exactly as the load generator will. A mode whose feature the
// gateway lacks is skipped, one that fails to set up is FAILED (and flagged): neither is
// measured.
import { login } from './gateway.mjs';
import { request, setCookies } from './http.mjs';
import { stopChild } from './proc.mjs';

/** @typedef {import('./types.js').ActiveMode} ActiveMode */
/** @typedef {import('./types.js').ModeContext} ModeContext */
/** @typedef {import('./types.js').ModeDef} ModeDef */
/** @typedef {import('./types.js').ModeState} ModeState */
/** @typedef {import('./types.js').Server} Server */
/** @typedef {import('./types.js').ServerKind} ServerKind */
/** @typedef {import('./types.js').ServerStarter} ServerStarter */

/** Session cookies, obtained once per run. @returns {ModeContext} */
export function modeContext() {
  /** @type {Promise<string> | null} */
  let gatewayCookie = null;
  /** @type {Promise<string> | null} */
  let nodeStackCookie = null;
  return {
    // One login, shared by every gateway process through Redis.
    sessionCookie: (srv) => (gatewayCookie ??= login(srv.url)),
    nodeStackCookie: (srv) =>
      (nodeStackCookie ??= (async () => {
        const r = await request(`${srv.url}/__bench/login`, { method: 'POST', headers: { 'content-length': 0 } });
        const sid = setCookies(r).sid;
        if (r.status !== 204 || !sid) throw new Error(`node-stack login answered ${r.status} without a sid cookie`);
        return `sid=${sid}`;
      })()),
  };
}

/**
 * @param {ModeDef[]} defs  in table order
 * @param {{ starters: Record<ServerKind, ServerStarter>, ctx: ModeContext, flags: string[], log: (...a: unknown[]) => void }} deps
 * @returns {Promise<{ states: ModeState[], active: ActiveMode[] }>}
 */
export async function setUpModes(defs, { starters, ctx, flags, log }) {
  /** @type {Partial<Record<ServerKind, Server>>} */
  const shared = {};
  /** @type {ModeState[]} */
  const states = [];
  for (const def of defs) {
    /** @type {ModeState} */
    const state = { def, name: def.name, status: 'ok', reason: null, srv: null, target: null, rounds: [] };
    states.push(state);
    const kind = starters[def.server];
    try {
      const unavailable = (await kind.unavailable?.()) ?? null;
      if (unavailable !== null) {
        Object.assign(state, { status: 'skipped', reason: unavailable });
        log(`-- skipping ${def.name}: ${unavailable}`);
        continue;
      }
      const srv = kind.shared
        ? (shared[def.server] ??= await kind.start(def.server))
        : await kind.start(`${def.server}[${def.name}]`);
      state.srv = srv;
      const target = await def.target({ srv, ctx });
      if ('skip' in target) {
        Object.assign(state, { status: 'skipped', reason: target.skip });
      } else {
        // One request exactly as the load generator will send it (first token for a list).
        const headers = {
          ...target.headers,
          ...(target.tokens ? { Authorization: `Bearer ${target.tokens[0]}` } : {}),
        };
        const probe = await request(target.url, { headers });
        if (probe.status === 404 && def.notImplementedOn404)
          Object.assign(state, { status: 'skipped', reason: def.notImplementedOn404 });
        else if (probe.status < 200 || probe.status > 299) {
          Object.assign(state, {
            status: 'failed',
            reason: `the probe request answered ${probe.status}: ${probe.body.slice(0, 200).replace(/\s+/g, ' ')}`,
          });
        } else state.target = target;
      }
    } catch (err) {
      Object.assign(state, {
        status: 'failed',
        reason: (err instanceof Error ? err.message : String(err)).split('\n')[0],
      });
    }
    if (state.status !== 'ok') {
      log(`${state.status === 'skipped' ? '-- skipping' : '!! FAILED'} ${def.name}: ${state.reason}`);
      if (state.status === 'failed') flags.push(`mode ${def.name} failed: ${state.reason}`);
      // A process of its own that will not be measured: stop it now.
      if (state.srv && !kind.shared) await stopChild(state.srv.child);
    }
  }
  return { states, active: states.filter(isActive) };
}

/** @param {ModeState} m @returns {m is ActiveMode} */
function isActive(m) {
  return m.status === 'ok' && m.srv !== null && m.target !== null;
}
