// @ts-check
// From the rounds to latest.json's numbers: median and range of every per-round number,
// ratios to the reference, peak memory, the checks that must hold (flags: non-2xx, socket
// errors, upstream request counts) and the notes on disturbed rounds.
import { memKb } from './proc.mjs';
import { serverPids } from './runner.mjs';
import { ratio, summarize } from './stats.mjs';

/** @typedef {import('./types.js').ModeState} ModeState */
/** @typedef {import('./types.js').ModeSummary} ModeSummary */
/** @typedef {import('./types.js').MeasuredSummary} MeasuredSummary */
/** @typedef {import('./types.js').OpenLoopRow} OpenLoopRow */
/** @typedef {import('./types.js').OpenLoopSummary} OpenLoopSummary */
/** @typedef {import('./types.js').OpenLoopModeSummary} OpenLoopModeSummary */
/** @typedef {import('./types.js').Added} Added */
/** @typedef {import('./types.js').Server} Server */
/** @typedef {import('./types.js').Stat} Stat */
/** @typedef {import('./types.js').StatKey} StatKey */

/** @type {StatKey[]} */
export const STAT_KEYS = [
  'rps',
  'p50Ms',
  'p99Ms',
  'procUsPerReq',
  'redisUsPerReq',
  'upstreamUsPerReq',
  'loadGenUsPerReq',
  'serverCoreBusy',
  'loadCoreBusy',
  'foreignServerShare',
  'foreignLoadShare',
  'irqServerShare',
  'irqLoadShare',
  'stealShare',
];

/**
 * A run is disturbed when other processes took more than this share of a pinned core.
 * Closed loop: of the servers' core, or of the load generator's core while the servers'
 * core was not saturated (then the generator, not the server, set the pace).
 */
export const DISTURBED = 0.05;

/** The second reference: the fastest plain forwarder (×undici column). */
export const UNDICI = 'bare-undici';

/** @param {ModeSummary | undefined} m @returns {m is MeasuredSummary} */
export function isMeasured(m) {
  return m?.status === 'ok' && m.stats !== undefined;
}

/**
 * Peak and current RSS of a server, MB: the sum over its processes (one for Node servers).
 * @param {Server} srv
 */
export function serverMemMB(srv) {
  let hwm = null;
  let rss = null;
  for (const pid of serverPids(srv)) {
    const mem = memKb(pid);
    if (mem?.hwm) hwm = (hwm ?? 0) + mem.hwm / 1024;
    if (mem?.rss) rss = (rss ?? 0) + mem.rss / 1024;
  }
  return { peakRssMB: hwm, rssAtEndMB: rss };
}

/**
 * @param {ModeState[]} states
 * @param {{ reference: string, connections: number, flags: string[], notes: string[] }} out
 * @returns {Record<string, ModeSummary>}
 */
export function summarizeModes(states, { reference, connections, flags, notes }) {
  /** @type {Record<string, ModeSummary>} */
  const modes = {};
  const described = new Set();
  for (const e of states) {
    const details = e.srv?.details;
    const base = {
      about: e.def.about,
      server: e.srv?.label ?? e.def.server,
      reachesUpstream: e.def.reachesUpstream,
      status: e.status,
      ...(details ? { serverDetails: details } : {}),
    };
    if (details && e.srv && !described.has(e.srv.label)) {
      described.add(e.srv.label);
      notes.push(`${e.srv.label}: ${details}`);
    }
    if (e.status !== 'ok' || !e.srv || !e.target) {
      modes[e.name] = { ...base, reason: e.reason };
      continue;
    }
    const stats = /** @type {Record<StatKey, Stat>} */ (
      Object.fromEntries(STAT_KEYS.map((k) => [k, summarize(e.rounds.map((r) => r[k]))]))
    );
    const median = /** @type {Record<StatKey, number | null>} */ (
      Object.fromEntries(STAT_KEYS.map((k) => [k, stats[k].median]))
    );
    const non2xx = e.rounds.reduce((a, r) => a + r.non2xx, 0);
    const errors = e.rounds.reduce((a, r) => a + r.errors, 0);
    /** @type {MeasuredSummary} */
    const out = {
      ...base,
      stats,
      median,
      non2xx,
      errors,
      tokens: e.target.tokens?.length ?? (e.target.headers.Authorization ? 1 : 0),
      ...serverMemMB(e.srv),
      rounds: e.rounds,
      disturbedRounds: 0,
      disturbed: false,
      ratios: { rps: null, cpu: null, p50: null, rpsVsUndici: null, rpsVsApache: null },
    };
    modes[e.name] = out;
    if (non2xx > 0 || errors > 0)
      flags.push(`${e.name}: ${non2xx} non-2xx responses and ${errors} socket errors (must be 0)`);
    if (e.def.reachesUpstream) {
      for (const r of e.rounds) {
        // Requests still in flight when the load stops reach the app uncounted: allow that.
        const hits = r.upstreamHits ?? 0;
        if (r.requests - hits > 0 || hits - r.requests > connections * 2) {
          flags.push(
            `${e.name} round ${r.round}: the load generator counted ${r.requests} responses but the upstream served ${r.upstreamHits} requests`,
          );
        }
      }
    }
    const loadBusy = stats.loadCoreBusy.median;
    const foreignLoad = stats.foreignLoadShare.median ?? 0;
    const serverBusy = stats.serverCoreBusy.median;
    if (loadBusy !== null && serverBusy !== null && loadBusy - foreignLoad > 0.95 && serverBusy < 0.9) {
      const pct = (/** @type {number} */ x) => `${(x * 100).toFixed(0)}%`;
      const busy = `the load generator kept its core ${pct(loadBusy)} busy while the servers' core was ${pct(serverBusy)}`;
      notes.push(`${e.name}: ${busy}: the load generator may be the bottleneck`);
    }
  }
  markDisturbed(modes, notes);
  const ref = modes[reference];
  if (!isMeasured(ref)) throw new Error(`the reference mode ${reference} was not measured`);
  const undici = modes[UNDICI];
  const undiciRps = isMeasured(undici) ? undici.median.rps : null;
  for (const e of states) {
    const m = modes[e.name];
    if (!isMeasured(m)) continue;
    const apache = e.def.apachePeer ? modes[e.def.apachePeer] : undefined;
    m.ratios = {
      rps: ratio(m.median.rps, ref.median.rps),
      cpu: ratio(m.median.procUsPerReq, ref.median.procUsPerReq),
      p50: ratio(m.median.p50Ms, ref.median.p50Ms),
      rpsVsUndici: ratio(m.median.rps, undiciRps),
      rpsVsApache: isMeasured(apache) ? ratio(m.median.rps, apache.median.rps) : null,
    };
  }
  return modes;
}

/**
 * A mode is disturbed when half of its rounds or more were (its median is then affected).
 * @param {Record<string, ModeSummary>} modes
 * @param {string[]} notes
 */
function markDisturbed(modes, notes) {
  for (const m of Object.values(modes)) {
    if (!isMeasured(m)) continue;
    for (const r of m.rounds) {
      r.disturbed =
        r.foreignServerShare !== null &&
        (r.foreignServerShare > DISTURBED || ((r.foreignLoadShare ?? 0) > DISTURBED && (r.serverCoreBusy ?? 0) < 0.95));
    }
    m.disturbedRounds = m.rounds.filter((r) => r.disturbed).length;
    m.disturbed = m.disturbedRounds * 2 >= m.rounds.length;
  }
  /** @type {[string, MeasuredSummary][]} */
  const disturbed = [];
  for (const [n, m] of Object.entries(modes)) if (isMeasured(m) && m.disturbedRounds > 0) disturbed.push([n, m]);
  if (disturbed.length) {
    /** @param {number | null} x */
    const pct = (x) => ((x ?? 0) * 100).toFixed(0);
    notes.push(
      'other processes took CPU from the pinned cores (disturbed rounds; max share of the server core / load core): ' +
        disturbed
          .map(
            ([n, m]) =>
              `${n} ${m.disturbedRounds}/${m.rounds.length} (${pct(m.stats.foreignServerShare.max)}% / ${pct(m.stats.foreignLoadShare.max)}%)`,
          )
          .join(', ') +
        '; modes marked * were disturbed in half of their rounds or more — rerun on a quiet machine (--wait-idle N waits for one)',
    );
  }
}

/**
 * @param {Record<string, OpenLoopRow[]>} byMode
 * @param {{ rate: number, reference: string, flags: string[], notes: string[] }} out
 * @returns {OpenLoopSummary}
 */
export function summarizeOpenLoop(byMode, { rate, reference, flags, notes }) {
  /** @type {Record<string, OpenLoopModeSummary>} */
  const modes = {};
  for (const [name, rows] of Object.entries(byMode)) {
    /** @param {(r: OpenLoopRow) => number | null} f */
    const stat = (f) => summarize(rows.map(f));
    const s = {
      p50Ms: stat((r) => r.p50Ms),
      p99Ms: stat((r) => r.p99Ms),
      p999Ms: stat((r) => r.p999Ms),
      maxMs: stat((r) => r.maxMs),
      non2xx: rows.reduce((a, r) => a + r.non2xx, 0),
      errors: rows.reduce((a, r) => a + r.errors + r.unanswered, 0),
      serviceP50Ms: stat((r) => r.serviceP50Ms),
      serviceP99Ms: stat((r) => r.serviceP99Ms),
      procUsPerReq: stat((r) => r.procUsPerReq),
      maxSendLagMs: Math.max(...rows.map((r) => r.maxSendLagMs)),
      lateShare: stat((r) => r.lateShare),
      foreignServerShare: stat((r) => r.foreignServerShare),
      foreignLoadShare: stat((r) => r.foreignLoadShare),
      rounds: rows,
    };
    const foreign = s.foreignServerShare.max ?? 0;
    const late = s.lateShare.max ?? 0;
    // Open loop: disturbed when others took more than 5 % of either core or more than 1 %
    // of the sends left the generator over 1 ms late.
    modes[name] = { ...s, disturbed: foreign > DISTURBED || (s.foreignLoadShare.max ?? 0) > DISTURBED || late > 0.01 };
    if (foreign > DISTURBED)
      notes.push(
        `open loop ${name}: other processes took up to ${(foreign * 100).toFixed(0)}% of the server core: latencies disturbed`,
      );
    if (late > 0.01) {
      notes.push(
        `open loop ${name}: up to ${(late * 100).toFixed(1)}% of the requests left the generator more than 1 ms late (max ${s.maxSendLagMs.toFixed(1)} ms): ` +
          'the generator fell behind (other processes on its core, or its own bursts of responses), which inflates the latencies from the scheduled time, ' +
          'mostly p99; the latencies from the actual send are in latest.json (serviceP50Ms/serviceP99Ms)',
      );
    }
    if (s.non2xx || s.errors) flags.push(`open loop ${name}: ${s.non2xx} non-2xx, ${s.errors} errors/unanswered`);
  }
  /** @type {Record<string, Added>} */
  const added = {};
  const b = modes[reference];
  /** @type {(x: number | null, y: number | null | undefined) => number | null} */
  const minus = (x, y) => (typeof x === 'number' && typeof y === 'number' ? x - y : null);
  for (const [name, s] of Object.entries(modes)) {
    if (name === reference) continue;
    added[name] = {
      p50Ms: minus(s.p50Ms.median, b?.p50Ms.median),
      p99Ms: minus(s.p99Ms.median, b?.p99Ms.median),
      // The same from the actual send time (only differs when the generator ran late).
      serviceP50Ms: minus(s.serviceP50Ms.median, b?.serviceP50Ms.median),
      serviceP99Ms: minus(s.serviceP99Ms.median, b?.serviceP99Ms.median),
    };
  }
  return { status: 'ok', rate, modes, added };
}
