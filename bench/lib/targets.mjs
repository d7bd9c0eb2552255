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

/** The modes issue 6 knew, whose servers its RSS target covers. */
const ISSUE6_MODES = ['upstream', 'bare-proxy', 'gateway-cookie', 'gateway-bearer-hot', 'gateway-bearer-cold', 'forward-auth', 'node-stack'];
const GATEWAY_MODES = MODES.filter((m) => m.server === 'gateway').map((m) => m.name);
const COLD = `${COLD_TOKENS.toLocaleString('en-US')} cold tokens`;

/**
 * The issues' targets. get(summary) -> number or null (null: not measured in this run).
 * `modes`: the closed-loop modes the number depends on (a result is marked disturbed when
 * other processes took CPU from any of them); `openLoop`: it depends on the open-loop pass.
 * @type {TargetDef[]}
 */
export const TARGETS = [
  { issue: 6, label: 'cookie session (Redis) throughput / bare proxy', modes: ['bare-proxy', 'gateway-cookie'], get: rpsRatio('gateway-cookie'), op: '>=', value: 0.95, unit: '×' },
  { issue: 6, label: 'bearer JWT, hot token, throughput / bare proxy', modes: ['bare-proxy', 'gateway-bearer-hot'], get: rpsRatio('gateway-bearer-hot'), op: '>=', value: 0.95, unit: '×' },
  { issue: 6, label: `bearer JWT, ${COLD_TOKENS} cold tokens, throughput / bare proxy`, modes: ['bare-proxy', 'gateway-bearer-cold'], get: rpsRatio('gateway-bearer-cold'), op: '>=', value: 0.6, unit: '×' },
  { issue: 6, label: 'forward-auth endpoint throughput / bare proxy', modes: ['bare-proxy', 'forward-auth'], get: rpsRatio('forward-auth'), op: '>=', value: 2.0, unit: '×' },
  { issue: 6, label: 'gateway-cookie throughput / node-stack', modes: ['gateway-cookie', 'node-stack'], get: rpsOver('gateway-cookie', 'node-stack'), op: '>=', value: 1.5, unit: '×' },
  { issue: 6, label: 'open loop: p50 latency added over bare proxy', openLoop: true, get: (s) => openLoopAdded(s, 'p50Ms'), op: '<=', value: 0.2, unit: 'ms' },
  { issue: 6, label: 'open loop: p99 latency added over bare proxy', openLoop: true, get: (s) => openLoopAdded(s, 'p99Ms'), op: '<=', value: 0.5, unit: 'ms' },
  { issue: 6, label: 'peak RSS of every measured process (MB)', get: peakRss(ISSUE6_MODES), op: '<=', value: 150, unit: 'MB' },

  { issue: 13, label: 'gateway cookie throughput / bare http-proxy', modes: ['bare-proxy', 'gateway-cookie'], get: rpsRatio('gateway-cookie'), op: '>=', value: 1.0, unit: '×' },
  { issue: 13, label: 'gateway bearer hot throughput / bare http-proxy', modes: ['bare-proxy', 'gateway-bearer-hot'], get: rpsRatio('gateway-bearer-hot'), op: '>=', value: 1.0, unit: '×' },
  { issue: 13, label: `gateway bearer, ${COLD}, throughput / bare http-proxy`, modes: ['bare-proxy', 'gateway-bearer-cold'], get: rpsRatio('gateway-bearer-cold'), op: '>=', value: 0.9, unit: '×' },
  { issue: 13, label: 'forward-auth throughput / bare http-proxy', modes: ['bare-proxy', 'forward-auth'], get: rpsRatio('forward-auth'), op: '>=', value: 3.0, unit: '×' },
  {
    issue: 13,
    label: 'gateway bearer hot / Apache + mod_auth_openidc bearer hot',
    modes: ['gateway-bearer-hot', 'apache-bearer-hot'],
    get: rpsOver('gateway-bearer-hot', 'apache-bearer-hot'),
    op: '>=',
    value: 1.5,
    unit: '×',
  },
  {
    issue: 13,
    label: `gateway bearer / Apache + mod_auth_openidc bearer, ${COLD}`,
    modes: ['gateway-bearer-cold', 'apache-bearer-cold'],
    get: rpsOver('gateway-bearer-cold', 'apache-bearer-cold'),
    op: '>=',
    value: 1.5,
    unit: '×',
  },
  { issue: 13, label: 'gateway cookie throughput / bare undici', modes: ['bare-undici', 'gateway-cookie'], get: rpsOver('gateway-cookie', 'bare-undici'), op: '>=', value: 0.7, unit: '×' },
  { issue: 13, label: 'open loop: p50 latency added over bare http-proxy', openLoop: true, get: (s) => openLoopAdded(s, 'p50Ms'), op: '<=', value: 0.1, unit: 'ms' },
  { issue: 13, label: 'open loop: p99 latency added over bare http-proxy', openLoop: true, get: (s) => openLoopAdded(s, 'p99Ms'), op: '<=', value: 0.5, unit: 'ms' },
  { issue: 13, label: 'peak RSS of every gateway process (MB)', get: peakRss(GATEWAY_MODES), op: '<=', value: 150, unit: 'MB' },
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
    const disturbed = measured !== null && ((t.modes ?? []).some((n) => summary.modes[n]?.disturbed) || (t.openLoop === true && openLoopModes.some((m) => m.disturbed)));
    const met = measured === null ? null : t.op === '>=' ? measured >= t.value : measured <= t.value;
    return { issue: t.issue, label: t.label, op: t.op, value: t.value, unit: t.unit, measured, met, disturbed };
  });
}
