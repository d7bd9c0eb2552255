// store.durability replicated: a revocation or a creation the master applied but no replica
// confirmed fails with ReplicaUnconfirmedError (the API answers 503). The sessions it ended
// on the master must still be announced — else another instance keeps serving a cached
// copy of a session its user just revoked.
import t from 'tap';
import { createAnnouncing, endSession, type EndDeps } from '../../src/session/end-session.js';
import { ReplicaUnconfirmedError } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { sessionFor } from '../store/contract-fixture.js';

function fakeDeps(store: Partial<EndDeps['store']> & { createSession?: unknown }) {
  const announced: string[] = [];
  const denied = new Set<string>();
  const deps = {
    revocations: { add: (id: string) => void denied.add(id), has: (id: string) => denied.has(id) },
    bus: {
      revoke: async (_kind: string, id: string) => {
        announced.push(id);
      },
    },
    metrics: { sessionsRevoked: { inc: () => {} } },
    audit: { emit: () => {} },
    store,
  };
  return { deps: deps as unknown as EndDeps & { store: Pick<never, never> }, announced, denied };
}

t.test('an unconfirmed revocation is announced before the 503', async (t) => {
  const s = sessionFor(new ManualClock());
  const { deps, announced, denied } = fakeDeps({
    deleteSession: () => Promise.reject(new ReplicaUnconfirmedError('deleteSession', [s.id])),
  });
  await t.rejects(endSession(deps, s, 'logout', '203.0.113.1'), ReplicaUnconfirmedError);
  t.same(announced, [s.id], 'every instance is told');
  t.ok(denied.has(s.id), 'and this one refuses it at once');
});

t.test('the sessions an unconfirmed creation evicted are announced before the 503', async (t) => {
  const clock = new ManualClock();
  const s = sessionFor(clock);
  const { deps, announced } = fakeDeps({
    createSession: () => Promise.reject(new ReplicaUnconfirmedError('createSession', ['sess_evicted'])),
  });
  await t.rejects(
    createAnnouncing(deps as never, s, { max: 1, policy: 'evict-oldest' }, clock.now(), null),
    ReplicaUnconfirmedError,
  );
  t.same(announced, ['sess_evicted']);
});

t.test('a confirmed creation announces what it evicted', async (t) => {
  const clock = new ManualClock();
  const s = sessionFor(clock);
  const { deps, announced } = fakeDeps({
    createSession: () => Promise.resolve({ ok: true, evicted: ['sess_old'] }),
  });
  const r = await createAnnouncing(deps as never, s, { max: 1, policy: 'evict-oldest' }, clock.now(), null);
  t.same(r, { ok: true, evicted: ['sess_old'] });
  t.same(announced, ['sess_old']);
});
