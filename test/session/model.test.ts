import t from 'tap';
import { activityDue, expiryState, isFresh } from '../../src/session/model.js';

const base = { expiresAt: 10_000_000, lastActiveAt: 1_000_000, idleTimeoutMs: 1_800_000 };

t.test('expiry: alive, idle, absolute', async (t) => {
  t.equal(expiryState(base, 1_000_001), 'alive');
  t.equal(expiryState(base, 2_800_000), 'idle');
  t.equal(expiryState({ ...base, idleTimeoutMs: null }, 2_800_000), 'alive');
  t.equal(expiryState({ ...base, idleTimeoutMs: null }, 10_000_000), 'absolute');
});

t.test('activity writes are throttled to min(60s, idle/10)', async (t) => {
  t.equal(activityDue(base, 1_000_000 + 59_999), false);
  t.equal(activityDue(base, 1_000_000 + 60_000), true);
  t.equal(activityDue({ ...base, idleTimeoutMs: 100_000 }, 1_000_000 + 10_000), true);
  t.equal(activityDue({ ...base, idleTimeoutMs: 100_000 }, 1_000_000 + 9_999), false);
});

t.test('freshness', async (t) => {
  t.equal(isFresh({ authTime: 0 }, 300, 300_000), true);
  t.equal(isFresh({ authTime: 0 }, 300, 300_001), false);
});
