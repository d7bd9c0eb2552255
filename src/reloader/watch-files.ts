// Watches folders for a change of what their files say, the way Kubernetes updates a mounted
// ConfigMap or Secret: it writes a new timestamped folder and swaps the `..data` symlink, so
// the visible names (gateway.yaml → ..data/gateway.yaml) never change and a watch on one
// file (its old inode) sees nothing. So: watch each folder, and on any event compare a digest
// of the visible files' contents (read through the links) with the last one.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/** The contents of the regular files (followed through symlinks) directly in `dirs`, as one digest. */
export function digestFolders(dirs: readonly string[]): string {
  const h = createHash('sha256');
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      h.update(`${dir}\0missing\0`);
      continue;
    }
    for (const name of names) {
      if (name.startsWith('..')) continue; // the atomic writer's own folders and links
      const path = join(dir, name);
      try {
        if (!statSync(path).isFile()) continue;
        h.update(`${path}\0`).update(readFileSync(path)).update('\0');
      } catch {
        // removed between readdir and read: the next event settles it
      }
    }
  }
  return h.digest('hex');
}

export interface FolderWatch {
  close(): void;
}

export interface WatchOptions {
  /** Quiet time after the last event before the folders are compared (an update is several events). */
  settleMs?: number;
  /** Also compare every pollMs, for file systems without inotify events (0: never). */
  pollMs?: number;
}

/** Calls onChange once per change of the folders' contents (not for events that change nothing). */
export function watchFolders(dirs: readonly string[], onChange: () => void, o: WatchOptions = {}): FolderWatch {
  const settleMs = o.settleMs ?? 250;
  let last = digestFolders(dirs);
  let timer: NodeJS.Timeout | null = null;
  const compare = (): void => {
    timer = null;
    const now = digestFolders(dirs);
    if (now === last) return;
    last = now;
    onChange();
  };
  const soon = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(compare, settleMs);
  };
  const watchers: FSWatcher[] = dirs.map((d) => watch(d, soon));
  const poll = o.pollMs ? setInterval(soon, o.pollMs) : null;
  return {
    close() {
      for (const w of watchers) w.close();
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
    },
  };
}
