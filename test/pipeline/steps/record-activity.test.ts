// record-activity on its own: an allowed request refreshes its session's idle time, at
// most once per min(60 s, idleTimeout/10), without the request waiting for the store; a
// failed write is logged, never an error for the request.
import t from 'tap';
import { recordActivity } from '../../../src/pipeline/steps/record-activity.js';
import type { SessionStore } from '../../../src/store/types.js';
import { saveSession, scopeFor, stepFixture, type StepFixture } from '../../helpers/step-deps.js';

/** The store, with each updateSession call's promise kept so the test can await it. */
function watched(f: StepFixture): { store: SessionStore; writes: Array<Promise<boolean>> } {
  const writes: Array<Promise<boolean>> = [];
  const store: SessionStore = Object.create(f.deps.store);
  store.updateSession = (...args: Parameters<SessionStore['updateSession']>) => {
    const p = f.deps.store.updateSession(...args);
    writes.push(p);
    return p;
  };
  return { store, writes };
}

t.test('activity is written when due, and the read cache follows', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  const w = watched(f);
  const deps = { ...f.deps, store: w.store };
  f.deps.clock.advance(59_999);
  t.equal(recordActivity.run(scopeFor({}, { session: s.session }), deps), undefined);
  t.equal(w.writes.length, 0, 'not due within the interval');
  f.deps.clock.advance(1);
  t.equal(recordActivity.run(scopeFor({}, { session: s.session }), deps), undefined, 'never decides');
  t.equal(w.writes.length, 1, 'due after 60 s (idleTimeout 30 min / 10 is longer)');
  t.equal(await w.writes[0], true);
  t.equal(
    (await f.deps.store.getSession('acme', s.session.id))?.lastActiveAt,
    f.deps.clock.now(),
    'lastActiveAt = now',
  );
});

t.test('a short idle timeout refreshes at a tenth of it', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f, { idleTimeoutMs: 100_000 });
  const w = watched(f);
  f.deps.clock.advance(10_000);
  recordActivity.run(scopeFor({}, { session: s.session }), { ...f.deps, store: w.store });
  t.equal(w.writes.length, 1);
  await w.writes[0];
});

t.test('a failed write is logged, not thrown', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  const failing: SessionStore = Object.create(f.deps.store);
  failing.updateSession = () => Promise.reject(new Error('store down'));
  f.deps.clock.advance(61_000);
  const warned = f.logged((l) => l.msg === 'could not record session activity');
  t.equal(recordActivity.run(scopeFor({}, { session: s.session }), { ...f.deps, store: failing }), undefined);
  t.match(await warned, { sessionId: s.session.id, err: /store down/ });
});

t.test('no session (a client_credentials token): nothing to record', async (t) => {
  const f = await stepFixture(t);
  const w = watched(f);
  recordActivity.run(scopeFor({}), { ...f.deps, store: w.store });
  t.equal(w.writes.length, 0);
});
