// Comparing secrets without a timing side channel: every byte is looked at whatever the
// first difference. Lengths are not secret here (session secrets, CSRF tokens and hashes
// have one fixed length each), so values of different lengths compare unequal at once.
import { timingSafeEqual } from 'node:crypto';

/** True when `a` and `b` hold the same bytes (strings as UTF-8), compared in constant time. */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const ba = typeof a === 'string' ? Buffer.from(a) : a;
  const bb = typeof b === 'string' ? Buffer.from(b) : b;
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
