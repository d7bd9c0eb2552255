// @ts-check
// The issues' performance targets, as data, and their verdict on one run's summary: the
// measured number, met or not, and whether other processes disturbed what it depends on.
import { COLD_TOKENS, MODES } from './modes.mjs';

/** @typedef {import('./types.js').TargetDef} TargetDef */
/** @typedef {import('./types.js').TargetResult} TargetResult */
/** @typedef {import('./types.js').Summary} Summary */

/** @param {string} mode @returns {(s: Summary) => number | null} */
const rpsRatio = (mode) => (s) => s.modes[mode]?.ratios?.rps ?? null;

/** req/s of mode a over mode b. @param {string} a @param {string} b @returns {(s: Summary) => number | null} */
const rpsOver = (a, b) => (s) => {
  const x = s.modes[a]?.median?.rps;
  const y = s.modes[b]?.median?.rps;
  return x && y ? x / y : null;
};

/** The largest peak RSS among these modes' servers. @param {string[]} names @returns {(s: Summary) => number | null} */
const peakRss = (names) => (s) => {
  const v = names.map((n) => s.modes[n]?.peakRssMB).filter((x) => typeof x === 'number');
  return v.length ? Math.max(...v) : null;
};

/**
 * Throughput of `mode` over bare-proxy's, at least `value`.
 * @param {number} issue @param {string} label @param {string} mode @param {number} value @returns {TargetDef}
 */
function ratioTarget(issue, label, mode, value) {
  return { issue, label, modes: ['bare-proxy', mode], get: rpsRatio(mode), op: '>=', value, unit: '×' };
}

/**
 * Throughput of `a` over `b`'s, at least `value`.
 * @param {number} issue @param {string} label @param {string} a @param {string} b @param {number} value @returns {TargetDef}
 */
function overTarget(issue, label, a, b, value) {
  return { issue, label, modes: [a, b], get: rpsOver(a, b), op: '>=', value, unit: '×' };
}

/**
 * Open-loop latency the cookie mode adds over bare-proxy, at most `value`.
 * @param {number} issue @param {string} label @param {'p50Ms' | 'p99Ms'} key @param {number} value @returns {TargetDef}
 */
function addedTarget(issue, label, key, value) {
  return { issue, label, openLoop: true, get: (s) => openLoopAdded(s, key), op: '<=', value, unit: 'ms' };
}

/** The modes issue 6 knew, whose servers its RSS target covers. */
const ISSUE6_MODES = [
  'upstream',
  'bare-proxy',
  'gateway-cookie',
  'gateway-bearer-hot',
  'gateway-bearer-cold',
  'forward-auth',
  'node-stack',
];
const GATEWAY_MODES = MODES.filter((m) => m.server === 'gateway').map((m) => m.name);
const COLD = `${COLD_TOKENS.toLocaleString('en-US')} cold tokens`;

/**
 * The issues' targets. get(summary) -> number or null (null: not measured in this run).
 * `modes`: the closed-loop modes the number depends on (a result is marked disturbed when
 * other processes took CPU from any of them); `openLoop`: it depends on the open-loop pass.
 * @type {TargetDef[]}
 */
export const TARGETS = [
  ratioTarget(6, 'cookie session (Redis) throughput / bare proxy', 'gateway-cookie', 0.95),
  ratioTarget(6, 'bearer JWT, hot token, throughput / bare proxy', 'gateway-bearer-hot', 0.95),
  ratioTarget(6, `bearer JWT, ${COLD_TOKENS} cold tokens, throughput / bare proxy`, 'gateway-bearer-cold', 0.6),
  ratioTarget(6, 'forward-auth endpoint throughput / bare proxy', 'forward-auth', 2.0),
  overTarget(6, 'gateway-cookie throughput / node-stack', 'gateway-cookie', 'node-stack', 1.5),
  addedTarget(6, 'open loop: p50 latency added over bare proxy', 'p50Ms', 0.2),
  addedTarget(6, 'open loop: p99 latency added over bare proxy', 'p99Ms', 0.5),
  {
    issue: 6,
    label: 'peak RSS of every measured process (MB)',
    get: peakRss(ISSUE6_MODES),
    op: '<=',
    value: 150,
    unit: 'MB',
  },

  ratioTarget(13, 'gateway cookie throughput / bare http-proxy', 'gateway-cookie', 1.0),
  ratioTarget(13, 'gateway bearer hot throughput / bare http-proxy', 'gateway-bearer-hot', 1.0),
  ratioTarget(13, `gateway bearer, ${COLD}, throughput / bare http-proxy`, 'gateway-bearer-cold', 0.9),
  ratioTarget(13, 'forward-auth throughput / bare http-proxy', 'forward-auth', 3.0),
  overTarget(
    13,
    'gateway bearer hot / Apache + mod_auth_openidc bearer hot',
    'gateway-bearer-hot',
    'apache-bearer-hot',
    1.5,
  ),
  overTarget(
    13,
    `gateway bearer / Apache + mod_auth_openidc bearer, ${COLD}`,
    'gateway-bearer-cold',
    'apache-bearer-cold',
    1.5,
  ),
  overTarget(13, 'gateway cookie throughput / bare undici', 'gateway-cookie', 'bare-undici', 0.7),
  addedTarget(13, 'open loop: p50 latency added over bare http-proxy', 'p50Ms', 0.1),
  addedTarget(13, 'open loop: p99 latency added over bare http-proxy', 'p99Ms', 0.5),
  {
    issue: 13,
    label: 'peak RSS of every gateway process (MB)',
    get: peakRss(GATEWAY_MODES),
    op: '<=',
    value: 150,
    unit: 'MB',
  },
];

/**
 * What the gateway's cookie mode added over the bare proxy in the open loop.
 * @param {Summary} s
 * @param {'p50Ms' | 'p99Ms'} key
 */
function openLoopAdded(s, key) {
  return s.openLoop?.status === 'ok' ? (s.openLoop.added['gateway-cookie']?.[key] ?? null) : null;
}

/**
 * @param {TargetDef[]} targets
 * @param {Summary} summary
 * @returns {TargetResult[]}
 */
export function evaluateTargets(targets, summary) {
  const openLoopModes = summary.openLoop?.status === 'ok' ? Object.values(summary.openLoop.modes) : [];
  return targets.map((t) => {
    const measured = t.get(summary);
    const closedDisturbed = (t.modes ?? []).some((n) => summary.modes[n]?.disturbed);
    const disturbed =
      measured !== null && (closedDisturbed || (t.openLoop === true && openLoopModes.some((m) => m.disturbed)));
    const met = measured === null ? null : t.op === '>=' ? measured >= t.value : measured <= t.value;
    return { issue: t.issue, label: t.label, op: t.op, value: t.value, unit: t.unit, measured, met, disturbed };
  });
}
