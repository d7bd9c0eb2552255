// check-expiry on its own, with a manual clock: a live session goes on; an idle or
// absolutely expired one is refused at once, and ends like any other end — in the LRU at
// once, removed from the store, announced and audited — without the request waiting.
import t from 'tap';
import { checkExpiry } from '../../../src/pipeline/steps/check-expiry.js';
import type { SessionStore } from '../../../src/store/types.js';
import { MIN, saveSession, scopeFor, stepFixture } from '../../helpers/step-deps.js';

t.test('a live session goes on and nothing ends', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  f.deps.clock.advance(29 * MIN);
  t.equal(checkExpiry.run(scopeFor({}, { session: s.session }), f.deps), undefined);
  t.notOk(f.deps.revocations.has(s.session.id));
  t.same(f.audits(), []);
});

t.test('an idle session is refused and ended', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f); // idleTimeout 30 min
  f.deps.clock.advance(30 * MIN);
  const ended = f.logged((l) => l.audit === 'session_expired');
  t.same(checkExpiry.run(scopeFor({}, { session: s.session }), f.deps), {
    kind: 'deny',
    code: 'ERR_GK_UNAUTHENTICATED',
    reason: 'session_expired_idle',
  });
  t.ok(f.deps.revocations.has(s.session.id), 'refused from the LRU at once, before the store answers');
  t.match(await ended, { tenant: 'acme', userId: 'u-bob', sessionId: s.session.id, reason: 'idle', ip: '203.0.113.7' });
  t.equal(await f.deps.store.getSession('acme', s.session.id), null, 'removed from the store');
});

t.test('an absolutely expired session is refused, also if it was active', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f, { rememberMe: true, idleTimeoutMs: null });
  f.deps.clock.advance(8 * 60 * MIN - 1);
  t.equal(checkExpiry.run(scopeFor({}, { session: s.session }), f.deps), undefined, 'remember-me: no idle timeout');
  f.deps.clock.advance(1);
  const ended = f.logged((l) => l.audit === 'session_expired');
  t.match(checkExpiry.run(scopeFor({}, { session: s.session }), f.deps), { reason: 'session_expired_absolute' });
  t.match(await ended, { sessionId: s.session.id, reason: 'absolute' });
});

t.test('a store that cannot end the session: still refused, the failure logged', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  const failing: SessionStore = Object.create(f.deps.store);
  failing.deleteSession = () => Promise.reject(new Error('store down'));
  f.deps.clock.advance(31 * MIN);
  const warned = f.logged((l) => l.msg === 'could not end an expired session');
  t.match(checkExpiry.run(scopeFor({}, { session: s.session }), { ...f.deps, store: failing }), {
    kind: 'deny',
    reason: 'session_expired_idle',
  });
  t.match(await warned, { sessionId: s.session.id, err: /store down/ });
});

t.test('no session (a client_credentials token): nothing to judge', async (t) => {
  const f = await stepFixture(t);
  t.equal(checkExpiry.run(scopeFor({}), f.deps), undefined);
});
