// Durations as the config file writes them (`90s`, `30m`, `24h`, `30d`, or plain seconds) ⇄ whole seconds.

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
type Unit = keyof typeof UNIT_SECONDS;

/**
 * Upper bound: ten years. Nothing in an auth gateway legitimately lives longer, and the
 * bound keeps `seconds * 1000` (and sums of timestamps) far inside the safe-integer range.
 */
export const MAX_DURATION_SECONDS = 3650 * 86_400;

// One integer and at most one lower-case unit: no fractions, signs, spaces or `1h30m`,
// so a value reads the same to every person and every parser.
const DURATION_RE = /^(\d{1,12})([smhd])?$/;

export type DurationResult = { ok: true; seconds: number } | { ok: false; message: string };

/**
 * Parses a duration without throwing: the config schema turns `message` into an error at
 * the value's YAML path. Messages echo the value only for strings and numbers, which
 * the loader redacts when the value came from an environment variable.
 */
export function checkDuration(v: unknown): DurationResult {
  let seconds: number;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) {
      return { ok: false, message: `invalid duration ${String(v)} (seconds must be a whole number ≥ 0)` };
    }
    seconds = v;
  } else if (typeof v === 'string') {
    const m = DURATION_RE.exec(v);
    if (!m) {
      return {
        ok: false,
        message: `invalid duration ${JSON.stringify(v)} (use e.g. 90s, 30m, 24h, 30d or whole seconds)`,
      };
    }
    seconds = Number(m[1]) * UNIT_SECONDS[(m[2] ?? 's') as Unit];
  } else {
    return { ok: false, message: 'invalid duration (expected a string such as 30m, or whole seconds)' };
  }
  if (seconds > MAX_DURATION_SECONDS) {
    return { ok: false, message: `duration too long (at most ${MAX_DURATION_SECONDS / 86_400}d)` };
  }
  return { ok: true, seconds };
}

/** Parses a duration; throws a RangeError naming the bad value (for trusted callers and tests). */
export function parseDuration(v: string | number): number {
  const r = checkDuration(v);
  if (!r.ok) throw new RangeError(r.message);
  return r.seconds;
}

/**
 * Formats whole seconds with the largest unit that divides them exactly, except that
 * days are used only from 2 days on: 86400 reads as "24h" (how people write a session
 * lifetime) and 2592000 as "30d". parseDuration(formatDuration(n)) === n for every valid n.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new TypeError(`formatDuration: expected whole seconds ≥ 0, got ${String(seconds)}`);
  }
  if (seconds >= 2 * 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
