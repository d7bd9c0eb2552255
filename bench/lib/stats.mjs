// @ts-check
// Median and range over rounds.

/** @typedef {import('./types.js').Stat} Stat */

/** @param {(number | null | undefined)[]} xs */
function finite(xs) {
  return xs.filter(/** @returns {x is number} */ (x) => typeof x === 'number' && Number.isFinite(x));
}

/** @param {(number | null | undefined)[]} xs @returns {number | null} */
export function median(xs) {
  const v = finite(xs).sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const [lo, hi] = [v[mid - 1], v[mid]];
  if (hi === undefined) return null;
  return v.length % 2 || lo === undefined ? hi : (lo + hi) / 2;
}

/** { median, min, max, n } of the finite numbers in xs (null fields when none). @param {(number | null | undefined)[]} xs @returns {Stat} */
export function summarize(xs) {
  const v = finite(xs);
  if (v.length === 0) return { median: null, min: null, max: null, n: 0 };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** @param {number | null | undefined} a @param {number | null | undefined} b */
export function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : null;
}
