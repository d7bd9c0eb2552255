// The users file as a sorted index, so the admin lists page and search without walking every
// user per request: users sorted by username (case folded, then id), and sorted prefix tables
// of folded emails and of the words of each name. A page is a binary search and a slice; a
// search is a binary search per table plus the matches only (never the whole directory).
// The index is Int32Arrays of positions only (no copies of the strings: the keys are
// computed from the users when compared), so a worker thread can compute it (sorting 100k
// strings takes longer than a request may wait) and hand it over without the main thread
// allocating per user; see load-in-worker.ts.
import type { UserRecord } from '../config/types.js';

/** The index of a user list; computed by indexOrder, here or in a worker. */
export interface IndexOrder {
  /** rank → user position, by sort key (folded username, then id). */
  byKey: Int32Array;
  /** Ranks of the users with an email, by folded email. */
  emailRank: Int32Array;
  /** Name-word entries by word: the user's rank, and where the word is in the folded name. */
  wordRank: Int32Array;
  wordStart: Int32Array;
  wordLength: Int32Array;
}

const fold = (s: string): string => s.toLowerCase();
/** The sort key of a user listed anywhere (file or identity provider): folded username, NUL, id. */
export const sortKey = (u: Pick<UserRecord, 'username' | 'id'>): string => `${fold(u.username)}\u0000${u.id}`;
const WORD = /[\p{L}\p{N}]+/gu;
/** The searchable words of a display name, folded: runs of letters and digits, with where each starts. */
export function nameWords(name: string): { word: string; start: number }[] {
  return Array.from(fold(name).matchAll(WORD), (m) => ({ word: m[0], start: m.index }));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorts a user list (the worker's half of the work; pure, deterministic). */
export function indexOrder(users: readonly UserRecord[]): IndexOrder {
  const keys = users.map(sortKey);
  const byKey = Int32Array.from(users.keys()).sort((a, b) => cmp(keys[a]!, keys[b]!));
  const rankOf = new Int32Array(users.length);
  byKey.forEach((pos, rank) => (rankOf[pos] = rank));
  const emails = users.map((u) => fold(u.email));
  const withEmail = Int32Array.from(users.keys()).filter((i) => emails[i] !== '');
  withEmail.sort((a, b) => cmp(emails[a]!, emails[b]!) || rankOf[a]! - rankOf[b]!);
  const entries: { w: string; r: number; s: number }[] = [];
  users.forEach((u, i) => nameWords(u.name).forEach((w) => entries.push({ w: w.word, r: rankOf[i]!, s: w.start })));
  entries.sort((a, b) => cmp(a.w, b.w) || a.r - b.r || a.s - b.s);
  return {
    byKey,
    emailRank: withEmail.map((i) => rankOf[i]!),
    wordRank: Int32Array.from(entries, (e) => e.r),
    wordStart: Int32Array.from(entries, (e) => e.s),
    wordLength: Int32Array.from(entries, (e) => e.w.length),
  };
}

/** First j in [0, n) with key(j) >= k (or > k with `strict`), for ascending key(j). */
function lowerBound(n: number, key: (j: number) => string, k: string, strict = false): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = key(mid);
    if (v < k || (strict && v === k)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface UserPage {
  users: UserRecord[];
  /** Matches before this page (for "Showing 21–40"). */
  before: number;
  /** All matches. */
  total: number;
  /** Whether users follow the page. */
  more: boolean;
}

export class UserIndex {
  // The last few searches' matching ranks: paging through one search asks the same prefix again.
  private readonly recent = new Map<string, Int32Array>();

  /** `users` frozen and never changed; `order` computed from exactly this list. */
  constructor(
    private readonly users: readonly UserRecord[],
    private readonly order: IndexOrder,
  ) {}

  static build(users: readonly UserRecord[]): UserIndex {
    return new UserIndex(users, indexOrder(users));
  }

  get size(): number {
    return this.order.byKey.length;
  }

  private at(rank: number): UserRecord {
    return this.users[this.order.byKey[rank]!]!;
  }
  private keyAt = (rank: number): string => sortKey(this.at(rank));
  private emailAt = (j: number): string => fold(this.at(this.order.emailRank[j]!).email);
  private wordAt = (j: number): string => {
    const start = this.order.wordStart[j]!;
    return fold(this.at(this.order.wordRank[j]!).name).slice(start, start + this.order.wordLength[j]!);
  };

  /** Ranks (ascending) of the users whose username, email or a name word starts with `prefix`. */
  private matches(prefix: string): Int32Array {
    const hit = this.recent.get(prefix);
    if (hit) return hit;
    // One byte per user marks the matches: no set of numbers, and the ranks come out sorted.
    const marked = new Uint8Array(this.size);
    let count = 0;
    const mark = (rank: number): void => {
      if (marked[rank] === 1) return;
      marked[rank] = 1;
      count++;
    };
    // Each table is sorted, so its matches are one range: [first ≥ prefix, first ≥ prefix + U+FFFF).
    const range = (n: number, key: (j: number) => string): [number, number] => [
      lowerBound(n, key, prefix),
      lowerBound(n, key, `${prefix}\uffff`),
    ];
    const { emailRank, wordRank } = this.order;
    const [r0, r1] = range(this.size, this.keyAt);
    for (let r = r0; r < r1; r++) mark(r);
    const [e0, e1] = range(emailRank.length, this.emailAt);
    for (let j = e0; j < e1; j++) mark(emailRank[j]!);
    const [w0, w1] = range(wordRank.length, this.wordAt);
    for (let j = w0; j < w1; j++) mark(wordRank[j]!);
    const out = new Int32Array(count);
    for (let r = 0, k = 0; k < count; r++) if (marked[r] === 1) out[k++] = r;
    if (this.recent.size >= 8) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(prefix, out);
    return out;
  }

  /**
   * Up to `limit` users after `afterKey` (a sortKey; '' = from the start) in key order,
   * filtered by `q` (prefix of username, email or a name word; case-insensitive).
   */
  page(afterKey: string, limit: number, q = ''): UserPage {
    const prefix = fold(q.trim());
    const start = afterKey ? lowerBound(this.size, this.keyAt, afterKey, true) : 0;
    if (!prefix) {
      const end = Math.min(this.size, start + limit);
      const users = [];
      for (let r = start; r < end; r++) users.push(this.at(r));
      return { users, before: start, total: this.size, more: end < this.size };
    }
    const m = this.matches(prefix);
    let lo = 0;
    let hi = m.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (m[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    const users = Array.from(m.subarray(lo, lo + limit), (r) => this.at(r));
    return { users, before: lo, total: m.length, more: lo + limit < m.length };
  }

  /** Does `u` match `q` as page() would (for users outside the index, e.g. seen at an IdP)? */
  static matchesQuery(u: Pick<UserRecord, 'username' | 'email' | 'name'>, q: string): boolean {
    const p = fold(q.trim());
    return (
      !p ||
      fold(u.username).startsWith(p) ||
      fold(u.email).startsWith(p) ||
      nameWords(u.name).some((w) => w.word.startsWith(p))
    );
  }
}
