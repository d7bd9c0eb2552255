// Small display helpers shared by the pages: times shown relative and exact, a session's
// device and location in words, flash messages. Pure functions of their inputs.
import { html, type SafeHtml } from './html.js';

const UNITS: readonly [string, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "just now", "5 minutes ago", "in 2 hours": whole units, rounded down. */
export function relativeTime(atMs: number, nowMs: number): string {
  const diff = nowMs - atMs;
  const abs = Math.abs(diff);
  if (abs < 60_000) return diff >= 0 ? 'just now' : 'in less than a minute';
  for (const [unit, ms] of UNITS) {
    if (abs >= ms) {
      const n = Math.floor(abs / ms);
      const words = `${n} ${unit}${n === 1 ? '' : 's'}`;
      return diff >= 0 ? `${words} ago` : `in ${words}`;
    }
  }
  return 'just now';
}

/** `2026-11-26 12:05 UTC`: what the exact line under a relative time reads. */
export function exactTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A time as `<time datetime>`: relative text, the exact ISO instant as title and a second line. */
export function timeCell(iso: string, nowMs: number): SafeHtml {
  return html`<time datetime="${iso}" title="${iso}">${relativeTime(Date.parse(iso), nowMs)}</time><span class="exact">${exactTime(iso)}</span>`;
}

export interface DeviceLike {
  device: { type: string; os: string | null; browser: string | null };
  kind: 'browser' | 'token';
  clientId: string | null;
}

/** "Chrome 140 on Linux", "Safari on iOS 17 (mobile)", or the OAuth client for token sessions. */
export function deviceLabel(s: DeviceLike): string {
  const { type, os, browser } = s.device;
  let label = browser && os ? `${browser} on ${os}` : (browser ?? os ?? 'Unknown device');
  if (type !== 'desktop' && type !== 'unknown') label += ` (${type})`;
  if (s.kind === 'token') label = `App ${s.clientId ?? 'unknown'} · ${label}`;
  return label;
}

export function locationLabel(loc: { city: string | null; country: string | null } | null): string {
  if (!loc) return 'Unknown';
  return [loc.city, loc.country].filter(Boolean).join(', ') || 'Unknown';
}

/** A PRG flash message from fixed wording (the query only picks which one; numbers are parsed). */
export function flash(kind: 'ok' | 'error', text: string | null): SafeHtml | string {
  if (!text) return '';
  return kind === 'ok'
    ? html`<p class="flash ok" role="status">${text}</p>`
    : html`<p class="error" role="alert">${text}</p>`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}
export type NoticeTable = Readonly<Record<string, { kind: 'ok' | 'error'; text: (n: number) => string }>>;

/**
 * The flash message after a redirect (`?done=revoked`, `?error=unknown-session`, with an
 * optional count `n`): the query only selects fixed wording, so nothing from the URL is shown.
 */
export function noticeFrom(query: URLSearchParams, table: NoticeTable): Notice | null {
  const n = /^\d{1,6}$/.test(query.get('n') ?? '') ? Number(query.get('n')) : 0;
  for (const kind of ['ok', 'error'] as const) {
    const code = query.get(kind === 'ok' ? 'done' : 'error');
    const entry = code !== null && Object.hasOwn(table, code) ? table[code] : undefined;
    if (entry && entry.kind === kind) return { kind, text: entry.text(n) };
  }
  return null;
}
