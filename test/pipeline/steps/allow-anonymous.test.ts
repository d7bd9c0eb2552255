// allow-anonymous on its own: allows with no identity only when there is no requirement at
// all; any requirement (even plain "authenticated") goes on to authentication.
import t from 'tap';
import { allowAnonymous } from '../../../src/pipeline/steps/allow-anonymous.js';
import { scopeFor } from '../../helpers/step-deps.js';

t.test('no requirement: allowed without looking at any credential', async (t) => {
  const scope = scopeFor(
    { headers: { cookie: 'gk_acme=forged', authorization: 'Bearer forged' } },
    { requirements: [] },
  );
  t.same(allowAnonymous.run(scope, undefined), { kind: 'allow', identity: null }, 'no identity for the upstream');
});

t.test('any requirement, or none computed, goes on', async (t) => {
  t.equal(
    allowAnonymous.run(scopeFor({}, { requirements: [{ roles: [], freshAuth: null, mfa: false }] }), undefined),
    undefined,
  );
  t.equal(
    allowAnonymous.run(scopeFor({}, { requirements: [{ roles: ['admin'], freshAuth: null, mfa: false }] }), undefined),
    undefined,
  );
  t.equal(allowAnonymous.run(scopeFor({}), undefined), undefined, 'an endpoint table without route policy');
});
