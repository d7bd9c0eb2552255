// Open WebSocket connections by the session (and token) that opened them, so that a
// revocation — made here or announced by another instance — closes them at once.
import type { Duplex } from 'node:stream';

export class LiveConnections {
  private readonly byKey = new Map<string, Set<Duplex>>();

  /** Tracks the socket under each key until it closes. */
  add(keys: readonly string[], socket: Duplex): void {
    for (const k of keys) {
      let set = this.byKey.get(k);
      if (!set) this.byKey.set(k, (set = new Set()));
      set.add(socket);
    }
    socket.once('close', () => {
      for (const k of keys) {
        const set = this.byKey.get(k);
        set?.delete(socket);
        if (set?.size === 0) this.byKey.delete(k);
      }
    });
  }

  /** Closes every connection opened with this session id or jti; returns how many. */
  close(key: string): number {
    const set = this.byKey.get(key);
    if (!set) return 0;
    this.byKey.delete(key);
    for (const s of set) s.destroy();
    return set.size;
  }

  get size(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.size;
    return n;
  }
}
