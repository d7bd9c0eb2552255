// bind-ip on its own: with ipBinding on, a browser session is usable only from its address
// (exact) or network (subnet: IPv4 /24, IPv6 /64); a mismatch is refused and audited, and
// with ipBindingAction: revoke the session also ends. Token sessions are not bound.
import t from 'tap';
import { bindIp } from '../../../src/pipeline/steps/bind-ip.js';
import { saveSession, scopeFor, stepFixture } from '../../helpers/step-deps.js';

const MISMATCH = { kind: 'deny', code: 'ERR_GK_UNAUTHENTICATED', reason: 'ip_binding_mismatch' };

t.test('off (the default): any address', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  t.equal(
    await bindIp.run(scopeFor({ clientIp: '198.51.100.1' }, { session: s.session, tenant: f.acme }), f.deps),
    undefined,
  );
});

t.test('exact: only the address the session was created from', async (t) => {
  const f = await stepFixture(t, { settings: 'ipBinding: exact' });
  const s = await saveSession(f); // from 203.0.113.7
  const at = (clientIp: string) => bindIp.run(scopeFor({ clientIp }, { session: s.session, tenant: f.acme }), f.deps);
  t.equal(await at('203.0.113.7'), undefined, 'same address');
  t.equal(await at('::ffff:203.0.113.7'), undefined, 'the same address IPv4-mapped');
  t.same(await at('203.0.113.8'), MISMATCH, 'a neighbour');
  t.match(f.audits().at(-1), {
    audit: 'ip_binding_mismatch',
    sessionId: s.session.id,
    ip: '203.0.113.8',
    boundIp: '203.0.113.7',
    mode: 'exact',
    action: 'reject',
  });
  t.ok(await f.deps.store.getSession('acme', s.session.id), 'reject: the session lives on');
  t.notOk(f.deps.revocations.has(s.session.id));
});

t.test('subnet: the same /24 (IPv4) or /64 (IPv6)', async (t) => {
  const f = await stepFixture(t, { settings: 'ipBinding: subnet' });
  const v4 = await saveSession(f);
  const v6 = await saveSession(f, { ipAddress: '2001:db8:1:2::5' });
  const at = (session: typeof v4.session, clientIp: string) =>
    bindIp.run(scopeFor({ clientIp }, { session, tenant: f.acme }), f.deps);
  t.equal(await at(v4.session, '203.0.113.200'), undefined);
  t.same(await at(v4.session, '203.0.114.7'), MISMATCH);
  t.equal(await at(v6.session, '2001:db8:1:2:ffff::1'), undefined);
  t.same(await at(v6.session, '2001:db8:1:3::5'), MISMATCH);
  t.same(await at(v4.session, '::1'), MISMATCH, 'another address family');
  t.same(await at(v4.session, 'not-an-ip'), MISMATCH, 'an unparsable address never matches');
});

t.test('ipBindingAction revoke: a mismatch also ends the session', async (t) => {
  const f = await stepFixture(t, { settings: 'ipBinding: exact\nipBindingAction: revoke' });
  const s = await saveSession(f);
  t.same(
    await bindIp.run(scopeFor({ clientIp: '198.51.100.9' }, { session: s.session, tenant: f.acme }), f.deps),
    MISMATCH,
  );
  t.equal(await f.deps.store.getSession('acme', s.session.id), null, 'removed');
  t.ok(f.deps.revocations.has(s.session.id), 'in the LRU');
  t.match(
    f.audits().map((a) => [a.audit, a.reason]),
    [
      ['ip_binding_mismatch', undefined],
      ['session_revoked', 'ip_binding_mismatch'],
    ],
  );
});

t.test('token sessions and requests without a session are not bound', async (t) => {
  const f = await stepFixture(t, { settings: 'ipBinding: exact' });
  const token = await saveSession(f, { kind: 'token', clientId: 'web-spa' });
  t.equal(
    await bindIp.run(scopeFor({ clientIp: '198.51.100.9' }, { session: token.session, tenant: f.acme }), f.deps),
    undefined,
  );
  t.equal(await bindIp.run(scopeFor({ clientIp: '198.51.100.9' }, { tenant: f.acme }), f.deps), undefined);
  t.same(f.audits(), []);
});
