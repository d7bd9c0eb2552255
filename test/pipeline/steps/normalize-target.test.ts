// normalize-target on its own: the SPEC §2 normal form is what later steps match, unsafe
// spellings are refused, and a path that only normalises to a gateway path never passes.
import t from 'tap';
import { normalizeTarget } from '../../../src/pipeline/steps/normalize-target.js';
import { scopeFor, stepFixture } from '../../helpers/step-deps.js';

t.test('spellings of one resource collapse to one matchPath; path and query are kept', async (t) => {
  const f = await stepFixture(t);
  for (const [target, matchPath] of [
    ['/admin', '/admin'],
    ['//admin', '/admin'],
    ['/x/../admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['/./admin/', '/admin/'],
  ] as const) {
    const scope = scopeFor({ target });
    t.equal(normalizeTarget.run(scope, f.deps), undefined, target);
    t.equal(scope.target?.matchPath, matchPath, `${target} matches as ${matchPath}`);
  }
  const q = scopeFor({ target: '/a/b?x=1&y=%20' });
  normalizeTarget.run(q, f.deps);
  t.same(q.target, { path: '/a/b', matchPath: '/a/b', query: '?x=1&y=%20' });
});

t.test('unsafe encodings are refused as bad paths, with the reason', async (t) => {
  const f = await stepFixture(t);
  for (const target of ['/a%2fb', '/a%5cb', '/..;/admin', '/a%00', 'http://evil.test/admin', '*', '/a#b']) {
    const scope = scopeFor({ target });
    const d = normalizeTarget.run(scope, f.deps);
    t.match(d, { kind: 'deny', code: 'ERR_GK_BAD_PATH', reason: /^bad_path:/ }, target);
    t.equal(scope.target, undefined, 'nothing set');
  }
});

t.test('a disguised gateway path of a configured tenant is refused; the canonical one and others pass', async (t) => {
  const f = await stepFixture(t);
  for (const target of ['//t/acme/login', '/%74/acme/api/v1/session', '/x/../t/globex/']) {
    t.match(
      normalizeTarget.run(scopeFor({ target }), f.deps),
      { code: 'ERR_GK_BAD_PATH', reason: 'non_canonical_gateway_path' },
      target,
    );
  }
  // Not a tenant of this gateway: an app may serve /t/… itself.
  t.equal(normalizeTarget.run(scopeFor({ target: '//t/initech/x' }), f.deps), undefined, 'unknown tenant slug');
});
