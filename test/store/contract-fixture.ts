// What the store contract suites share: the fixture each backend provides, a session
// record to store, and the subtest wrapper that gives every test a fresh store.
// (Not a test file by itself: package.json's tap.exclude leaves test/store/contract*.ts out.)
import type { Test } from 'tap';
import { hashSecret, newSecret, newSessionId } from '../../src/session/ids.js';
import type { SessionRecord, SessionStore } from '../../src/store/types.js';
import type { ManualClock } from '../../src/util/clock.js';

/** A fresh store of one backend; S is the concern (or the whole) a suite works on. */
export interface StoreFixture<S = SessionStore> {
  store: S;
  clock: ManualClock;
  /** Another instance on the same backend (closed by cleanup); absent for a single-instance store. */
  peer?: () => Promise<S>;
  cleanup(): Promise<void>;
}

export type MakeStore<S = SessionStore> = () => Promise<StoreFixture<S>>;

export const SEC = 1000;
export const MIN = 60 * SEC;
export const DAY = 24 * 60 * MIN;
export const unlimited = { max: 0, policy: 'evict-oldest' } as const;

/** A plausible browser session created now; `over` may change anything. */
export function sessionFor(clock: ManualClock, over: Partial<SessionRecord> = {}): SessionRecord {
  const tenant = over.tenant ?? 'acme';
  const userId = over.userId ?? 'u1';
  const now = clock.now();
  return {
    id: newSessionId(tenant, userId),
    tenant,
    userId,
    kind: 'browser',
    secretHash: hashSecret(newSecret()),
    clientId: null,
    ipAddress: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
    authMethod: 'password',
    amr: ['pwd'],
    mfaAt: null,
    rememberMe: false,
    createdAt: now,
    lastActiveAt: now,
    authTime: now,
    expiresAt: now + DAY,
    idleTimeoutMs: 30 * MIN,
    ...over,
  };
}

/** `test(title, body)`: a subtest named `<backend>: <concern>: <title>` with its own fresh store. */
export function suite<S>(
  t: Test,
  name: string,
  concern: string,
  make: MakeStore<S>,
): (title: string, body: (t: Test, f: StoreFixture<S>) => Promise<void>) => void {
  return (title, body) => {
    void t.test(`${name}: ${concern}: ${title}`, async (t) => {
      const f = await make();
      t.teardown(() => f.cleanup());
      await body(t, f);
    });
  };
}
