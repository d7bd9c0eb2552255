// LiveConnections: sockets by session id / jti, closed on revocation; the sweep over the
// sessions of open sockets (SPEC §3.5): activity recorded with the request throttle, absolute
// expiry closes them and ends the session, a session found gone loses its sockets.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { LiveConnections, type LiveSession, type SessionWatch } from '../../src/proxy/live-connections.js';
import { ManualClock } from '../../src/util/clock.js';

const MIN = 60_000;

function fixture(alive = true) {
  const clock = new ManualClock();
  const calls = { expired: [] as string[], active: [] as { id: string; at: number }[] };
  const watch: SessionWatch = {
    now: () => clock.now(),
    expired: async (s) => void calls.expired.push(s.id),
    active: async (s, now) => (calls.active.push({ id: s.id, at: now }), alive),
  };
  // The timer never fires during a test: each sweep is run by hand.
  const live = new LiveConnections(3600_000);
  live.watchSessions(watch);
  const now = clock.now();
  const session: LiveSession = {
    tenant: 'acme',
    id: 'sess_1',
    userId: 'u1',
    expiresAt: now + 24 * 60 * MIN,
    lastActiveAt: now,
    idleTimeoutMs: 30 * MIN,
  };
  return { clock, calls, live, session };
}

t.test('an open socket is activity: recorded once per min(60 s, idleTimeout/10)', async (t) => {
  const { clock, calls, live, session } = fixture();
  const socket = new PassThrough();
  live.add([session.id], socket, session);
  await live.sweep();
  t.same(calls.active, [], 'nothing due right after the request that opened it');
  clock.advance(MIN);
  await live.sweep();
  await live.sweep();
  t.same(calls.active, [{ id: session.id, at: clock.now() }], 'once when due, not on every sweep');
  clock.advance(MIN);
  await live.sweep();
  t.equal(calls.active.length, 2);
  t.notOk(socket.destroyed);
  t.same(calls.expired, []);
});

t.test('absolute expiry closes every socket of the session and ends it once', async (t) => {
  const { clock, calls, live, session } = fixture();
  const [one, two, other] = [new PassThrough(), new PassThrough(), new PassThrough()];
  live.add([session.id, 'jti-1'], one, session);
  live.add([session.id], two, session);
  live.add(['sess_2'], other, { ...session, id: 'sess_2', expiresAt: session.expiresAt + MIN });
  clock.set(session.expiresAt);
  const closed = Promise.all([once(one, 'close'), once(two, 'close')]);
  await live.sweep();
  await closed;
  t.same(calls.expired, [session.id], 'ended once');
  t.notOk(other.destroyed, "another session's socket stays");
  await live.sweep();
  t.same(calls.expired, [session.id], 'not again');
  t.equal(live.size, 1);
});

t.test('a session found gone while recording activity loses its sockets', async (t) => {
  const { clock, live, session } = fixture(false);
  const socket = new PassThrough();
  live.add([session.id], socket, session);
  clock.advance(MIN);
  const closed = once(socket, 'close');
  await live.sweep();
  await closed;
  t.equal(live.size, 0);
});

t.test('close(key) closes what that id or jti opened; a closed socket is forgotten', async (t) => {
  const { live, session } = fixture();
  const [a, b] = [new PassThrough(), new PassThrough()];
  live.add([session.id, 'jti-a'], a, session);
  live.add(['jti-b'], b);
  t.equal(live.close('jti-a'), 1);
  await once(a, 'close');
  t.equal(live.size, 1, 'only b is left');
  b.destroy();
  await once(b, 'close');
  t.equal(live.size, 0);
  t.equal(live.close('jti-b'), 0);
});
