// A tenant's users as the registry serves them: by id, by username (the login's exact
// lookup) and the sorted index the admin lists page through. Built once per user list;
// a reload builds it ahead, in slices between requests (prebuildDirectory), so that
// buildRegistry only picks it up and the swap itself does no per-user work.
import type { UserRecord } from '../config/types.js';
import { UserIndex, type IndexOrder } from './user-index.js';

export interface Directory {
  byId: ReadonlyMap<string, UserRecord>;
  byName: ReadonlyMap<string, UserRecord>;
  index: UserIndex;
}

// Keyed by the (frozen, never mutated) user list itself: a config and its reloads share them.
const built = new WeakMap<readonly UserRecord[], Directory>();

/** The directory of `users`: the one built ahead, else built now (start, tests, small lists). */
export function directoryOf(users: readonly UserRecord[]): Directory {
  const hit = built.get(users);
  if (hit) return hit;
  const d: Directory = {
    byId: new Map(users.map((u) => [u.id, u])),
    byName: new Map(users.map((u) => [u.username, u])),
    index: UserIndex.build(users),
  };
  built.set(users, d);
  return d;
}

/**
 * Builds the directory of `users` with the index a worker computed, `slice` users at a time,
 * awaiting `pause()` between slices (a few milliseconds of work each).
 */
export async function prebuildDirectory(
  users: readonly UserRecord[],
  order: IndexOrder,
  pause: () => Promise<void>,
  slice = 2_000,
): Promise<Directory> {
  const hit = built.get(users);
  if (hit) return hit;
  const byId = new Map<string, UserRecord>();
  const byName = new Map<string, UserRecord>();
  for (let start = 0; start < users.length; start += slice) {
    for (let i = start; i < Math.min(users.length, start + slice); i++) {
      const u = users[i]!;
      byId.set(u.id, u);
      byName.set(u.username, u);
    }
    await pause();
  }
  const d: Directory = { byId, byName, index: new UserIndex(users, order) };
  built.set(users, d);
  return d;
}
