// @ts-check
// The issues' performance targets, as data, and their verdict on one run's summary: the
// measured number, met or not, and whether other processes disturbed what it depends on.
import { COLD_TOKENS } from './modes.mjs';

/** @typedef {import('./types.js').TargetDef} TargetDef */
/** @typedef {import('./types.js').TargetResult} TargetResult */
/** @typedef {import('./types.js').Summary} Summary */

/** @param {string} mode @returns {(s: Summary) => number | null} */
const rpsRatio = (mode) => (s) => s.modes[mode]?.ratios?.rps ?? null;

/**
 * Issue 6's targets. get(summary) -> number or null (null: not measured in this run).
 * `modes`: the closed-loop modes the number depends on (a result is marked disturbed when
 * other processes took CPU from any of them); `openLoop`: it depends on the open-loop pass.
 * @type {TargetDef[]}
 */
export const TARGETS = [
  { label: 'cookie session (Redis) throughput / bare proxy', modes: ['bare-proxy', 'gateway-cookie'], get: rpsRatio('gateway-cookie'), op: '>=', value: 0.95, unit: '×' },
  { label: 'bearer JWT, hot token, throughput / bare proxy', modes: ['bare-proxy', 'gateway-bearer-hot'], get: rpsRatio('gateway-bearer-hot'), op: '>=', value: 0.95, unit: '×' },
  { label: `bearer JWT, ${COLD_TOKENS} cold tokens, throughput / bare proxy`, modes: ['bare-proxy', 'gateway-bearer-cold'], get: rpsRatio('gateway-bearer-cold'), op: '>=', value: 0.6, unit: '×' },
  { label: 'forward-auth endpoint throughput / bare proxy', modes: ['bare-proxy', 'forward-auth'], get: rpsRatio('forward-auth'), op: '>=', value: 2.0, unit: '×' },
  {
    label: 'gateway-cookie throughput / node-stack',
    modes: ['gateway-cookie', 'node-stack'],
    get: (s) => {
      const a = s.modes['gateway-cookie']?.median?.rps;
      const b = s.modes['node-stack']?.median?.rps;
      return a && b ? a / b : null;
    },
    op: '>=',
    value: 1.5,
    unit: '×',
  },
  { label: 'open loop: p50 latency added over bare proxy', openLoop: true, get: (s) => openLoopAdded(s, 'p50Ms'), op: '<=', value: 0.2, unit: 'ms' },
  { label: 'open loop: p99 latency added over bare proxy', openLoop: true, get: (s) => openLoopAdded(s, 'p99Ms'), op: '<=', value: 0.5, unit: 'ms' },
  {
    label: 'peak RSS of every measured process (MB)',
    get: (s) => {
      const v = Object.values(s.modes)
        .map((m) => m.peakRssMB)
        .filter((x) => typeof x === 'number');
      return v.length ? Math.max(...v) : null;
    },
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
    const disturbed = measured !== null && ((t.modes ?? []).some((n) => summary.modes[n]?.disturbed) || (t.openLoop === true && openLoopModes.some((m) => m.disturbed)));
    const met = measured === null ? null : t.op === '>=' ? measured >= t.value : measured <= t.value;
    return { label: t.label, op: t.op, value: t.value, unit: t.unit, measured, met, disturbed };
  });
}
