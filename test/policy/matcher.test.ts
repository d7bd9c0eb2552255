// Tests for route matching (SPEC §2): first match wins, methods, `*` vs `**`, case, the SPEC table.
import t from 'tap';
import type { RouteRule } from '../../src/config/types.js';
import { compileRoutes, routePatternError } from '../../src/policy/matcher.js';

const authenticated = { roles: [], freshAuth: null, mfa: false };
const rule = (
  path: string,
  methods: string[] | null = null,
  require: RouteRule['require'] = authenticated,
): RouteRule => ({ path, methods, require });

// The example table of SPEC §2, in order.
const healthz = rule('/healthz', null, null);
const pub = rule('/public/**', null, null);
const billing = rule('/billing/**', ['POST', 'PUT', 'PATCH', 'DELETE'], { roles: [], freshAuth: 300, mfa: false });
const admin = rule('/admin/**', null, { roles: ['admin'], freshAuth: 900, mfa: false });
const all = rule('/**');
const specTable = [healthz, pub, billing, admin, all];

t.test('SPEC §2 example route table', async (t) => {
  const m = compileRoutes(specTable, { caseInsensitive: false });
  t.equal(m.match('GET', '/healthz'), healthz);
  t.equal(m.match('GET', '/healthz/'), healthz, 'trailing slash is insignificant');
  t.equal(m.match('GET', '/healthz/x'), all);
  t.equal(m.match('GET', '/public'), pub);
  t.equal(m.match('GET', '/public/'), pub);
  t.equal(m.match('GET', '/public/css/site.css'), pub);
  t.equal(m.match('GET', '/publicx'), all, '/public/** does not match /publicx');
  t.equal(m.match('GET', '/publicx/a'), all);
  t.equal(m.match('POST', '/billing/invoices'), billing);
  t.equal(m.match('DELETE', '/billing'), billing);
  t.equal(m.match('GET', '/billing/invoices'), all, 'GET is not in the billing rule');
  t.equal(m.match('GET', '/admin'), admin, '/admin/** matches /admin');
  t.equal(m.match('GET', '/admin/'), admin);
  t.equal(m.match('GET', '/admin/x/y'), admin);
  t.equal(m.match('POST', '/admin/users/u1'), admin);
  t.equal(m.match('GET', '/administrator'), all);
  t.equal(m.match('GET', '/'), all, '/** matches the root');
  t.equal(m.match('GET', '/Admin'), all, 'case-sensitive by default');
});

t.test('first match wins', async (t) => {
  const a = rule('/a/**', null, null);
  const b = rule('/a/b');
  const m = compileRoutes([a, b], { caseInsensitive: false });
  t.equal(m.match('GET', '/a/b'), a);
  const m2 = compileRoutes([b, a], { caseInsensitive: false });
  t.equal(m2.match('GET', '/a/b'), b);
  t.equal(m2.match('GET', '/a/c'), a);
});

t.test('no match is null (the caller then requires authentication)', async (t) => {
  const m = compileRoutes([healthz, pub], { caseInsensitive: false });
  t.equal(m.match('GET', '/'), null);
  t.equal(m.match('GET', '/private'), null);
  t.equal(compileRoutes([], { caseInsensitive: false }).match('GET', '/x'), null);
});

t.test('methods: null is any, listed is exact, HEAD follows GET', async (t) => {
  const get = rule('/r', ['GET'], null);
  const post = rule('/r', ['POST']);
  const m = compileRoutes([get, post], { caseInsensitive: false });
  t.equal(m.match('GET', '/r'), get);
  t.equal(m.match('HEAD', '/r'), get, 'HEAD matches a rule listing GET');
  t.equal(m.match('POST', '/r'), post);
  t.equal(m.match('PUT', '/r'), null);
  t.equal(m.match('get', '/r'), null, 'method names are case-sensitive (RFC 9110 §9.1)');
  const headOnly = rule('/h', ['HEAD']);
  const m2 = compileRoutes([headOnly], { caseInsensitive: false });
  t.equal(m2.match('HEAD', '/h'), headOnly);
  t.equal(m2.match('GET', '/h'), null, 'GET does not follow HEAD');
  const any = rule('/x');
  t.equal(compileRoutes([any], { caseInsensitive: false }).match('OPTIONS', '/x'), any);
});

t.test('* is exactly one non-empty segment, ** is zero or more', async (t) => {
  const one = rule('/u/*/profile');
  const m = compileRoutes([one], { caseInsensitive: false });
  t.equal(m.match('GET', '/u/alice/profile'), one);
  t.equal(m.match('GET', '/u/profile'), null);
  t.equal(m.match('GET', '/u/a/b/profile'), null);
  const star = rule('/files/*');
  const ms = compileRoutes([star], { caseInsensitive: false });
  t.equal(ms.match('GET', '/files/a'), star);
  t.equal(ms.match('GET', '/files/a/'), star);
  t.equal(ms.match('GET', '/files'), null);
  t.equal(ms.match('GET', '/files/'), null);
  t.equal(ms.match('GET', '/files/a/b'), null);
  const mid = rule('/a/**/z');
  const mm = compileRoutes([mid], { caseInsensitive: false });
  t.equal(mm.match('GET', '/a/z'), mid);
  t.equal(mm.match('GET', '/a/b/c/z'), mid);
  t.equal(mm.match('GET', '/a/z/z'), mid);
  t.equal(mm.match('GET', '/a/z/y'), null);
  const multi = rule('/**/x/**/y/*');
  const mx = compileRoutes([multi], { caseInsensitive: false });
  t.equal(mx.match('GET', '/x/y/1'), multi);
  t.equal(mx.match('GET', '/p/x/q/r/y/1'), multi);
  t.equal(mx.match('GET', '/p/x/q/r/y'), null);
  const root = rule('/');
  const mr = compileRoutes([root], { caseInsensitive: false });
  t.equal(mr.match('GET', '/'), root);
  t.equal(mr.match('GET', '/a'), null);
});

// Exponential backtracking would make this test hang until tap's timeout; no timing is asserted here.
t.test('many ** against a long path (no exponential backtracking)', async (t) => {
  const hard = rule('/**/a/**/a/**/a/**/a/**/a/**/b');
  const m = compileRoutes([hard], { caseInsensitive: false });
  const path = '/' + Array.from({ length: 2000 }, () => 'a').join('/');
  t.equal(m.match('GET', path), null);
  t.equal(m.match('GET', path + '/b'), hard);
});

t.test('case sensitivity', async (t) => {
  const r = rule('/Admin/**');
  const cs = compileRoutes([r], { caseInsensitive: false });
  t.equal(cs.match('GET', '/Admin/x'), r);
  t.equal(cs.match('GET', '/admin/x'), null);
  t.equal(cs.match('GET', '/ADMIN'), null);
  const ci = compileRoutes([r], { caseInsensitive: true });
  t.equal(ci.match('GET', '/admin/x'), r);
  t.equal(ci.match('GET', '/ADMIN'), r);
  t.equal(ci.match('GET', '/aDmIn/X/Y'), r);
  t.equal(ci.match('GET', '/adminx'), null);
  const enc = rule('/a%3fb');
  t.equal(compileRoutes([enc], { caseInsensitive: true }).match('GET', '/A%3FB'), enc);
});

t.test('patterns are canonicalised like request paths', async (t) => {
  const tilde = rule('/%7euser/*');
  const m = compileRoutes([tilde], { caseInsensitive: false });
  t.equal(m.match('GET', '/~user/x'), tilde);
  const q = rule('/a%3fb');
  t.equal(compileRoutes([q], { caseInsensitive: false }).match('GET', '/a%3Fb'), q);
  const uni = rule('/café');
  t.equal(compileRoutes([uni], { caseInsensitive: false }).match('GET', '/caf%C3%A9'), uni);
  const dbl = rule('/a/**/**/b');
  t.equal(compileRoutes([dbl], { caseInsensitive: false }).match('GET', '/a/b'), dbl);
});

t.test('bad patterns are reported, and refused at compile time', async (t) => {
  for (const [p, msg] of [
    ['admin', 'must start with /'],
    ['/a//b', 'must not contain an empty segment (//)'],
    ['/a/../b', 'must not contain . or .. segments'],
    ['/a/./b', 'must not contain . or .. segments'],
    ['/a*', '* and ** must be a whole segment'],
    ['/***', '* and ** must be a whole segment'],
    ['/a;x', 'must not contain ;-parameters (they are ignored when matching)'],
    ['/a?b', 'must not contain ?'],
    ['/a%2Fb', 'encoded slash'],
    ['/a%zz', 'invalid percent-encoding'],
    ['/a\\b', 'backslash in path'],
    ['/a#b', 'fragment in request-target'],
  ] as const) {
    t.equal(routePatternError(p), msg, p);
    t.throws(() => compileRoutes([rule(p)], { caseInsensitive: false }), TypeError, p);
  }
  for (const p of ['/', '/**', '/a/*/b/**', '/a/', '/.well-known/**']) t.equal(routePatternError(p), null, p);
});

t.test('matchAll: the rule as written and the rule lower-cased (SPEC §2 case)', async (t) => {
  const m = compileRoutes(specTable, { caseInsensitive: false });
  t.same(m.matchAll('GET', '/admin/x'), [admin], 'lower-case path, lower-case patterns: one rule');
  t.same(m.matchAll('GET', '/ADMIN/x'), [all, admin], '/ADMIN/x: /** as written, /admin/** lower-cased');
  t.same(m.matchAll('GET', '/PUBLIC/x'), [all, pub], '/PUBLIC/x: both rules, so the stricter one holds');
  t.same(m.matchAll('POST', '/Billing/x'), [all, billing]);
  const upper = rule('/Reports/**', null, { roles: ['auditor'], freshAuth: null, mfa: false });
  const m2 = compileRoutes([upper, all], { caseInsensitive: false });
  t.same(
    m2.matchAll('GET', '/reports/q'),
    [all, upper],
    'a lower-case path is also matched against lower-cased patterns',
  );
  t.same(m2.matchAll('GET', '/Reports/q'), [upper, upper]);
  const ci = compileRoutes(specTable, { caseInsensitive: true });
  t.same(ci.matchAll('GET', '/ADMIN/x'), [admin], 'caseInsensitivePaths: only the lower-cased match');
});
