// How fast a cluster primary may replace workers that die: at most `max` replacements in
// any `windowMs`. A worker that crashes at start (a bad file, a port taken) would otherwise
// be forked in a tight loop; past the budget the next replacement waits until the oldest
// one leaves the window, so the rate stays bounded and the pool still heals.
import type { Clock } from '../util/clock.js';

export class RestartBudget {
  private readonly starts: number[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly max = 5,
    private readonly windowMs = 60_000,
  ) {}

  /** Milliseconds to wait before the next replacement (0 = now); the replacement is counted at that time. */
  take(): number {
    const now = this.clock.now();
    while (this.starts.length > 0 && this.starts[0]! <= now - this.windowMs) this.starts.shift();
    const at = this.starts.length < this.max ? now : this.starts[this.starts.length - this.max]! + this.windowMs;
    this.starts.push(at);
    return at - now;
  }
}
