// Tests for request-target normalisation (SPEC §2): every spelling of a route, every rejected shape.
import t, { type Test } from 'tap';
import { normalizePath } from '../../src/policy/normalize-path.js';

const label = (raw: string): string =>
  JSON.stringify(raw.length > 80 ? raw.slice(0, 60) + `…(${raw.length} chars)` : raw);

function ok(t: Test, raw: string, path: string, matchPath: string, query = ''): void {
  t.same(normalizePath(raw), { ok: true, path, matchPath, query }, label(raw));
}

function rejected(t: Test, raw: string, reason: string): void {
  const r = normalizePath(raw);
  t.same(r, { ok: false, reason }, `${label(raw)} is rejected: ${reason}`);
}

t.test('SPEC §2: all of these are the route /admin', async (t) => {
  for (const raw of [
    '/admin',
    '//admin',
    '/./admin',
    '/x/../admin',
    '/x/%2e%2e/admin',
    '/admin;x',
    '/%61dmin',
    '/%2e/admin',
    '/x/%2E%2e/admin',
    '/x/.%2E/admin',
    '///admin',
    '/a/b/../../admin',
    '/admin/.',
    '/;p/admin',
  ]) {
    const r = normalizePath(raw);
    t.ok(r.ok, raw);
    if (r.ok) t.equal(r.matchPath.replace(/\/$/, ''), '/admin', raw);
  }
  t.equal(
    (normalizePath('/admin/.') as { matchPath: string }).matchPath,
    '/admin/',
    'a trailing dot-segment leaves a directory',
  );
});

t.test('SPEC §2: rejected shapes', async (t) => {
  rejected(t, '/..', 'path escapes the root');
  rejected(t, '/../admin', 'path escapes the root');
  rejected(t, '/a/../../admin', 'path escapes the root');
  rejected(t, '/%2e%2e/admin', 'path escapes the root');
  rejected(t, '/a/%2fadmin', 'encoded slash');
  rejected(t, '/a%2Fb', 'encoded slash');
  rejected(t, '/a\\b', 'backslash in path');
  rejected(t, '/a%5cb', 'encoded backslash');
  rejected(t, '/a%5Cb', 'encoded backslash');
  rejected(t, '/a%00', 'NUL in path');
  rejected(t, '/a\u0000b', 'NUL in path');
  rejected(t, '/a%zz', 'invalid percent-encoding');
  rejected(t, '/a%4', 'invalid percent-encoding');
  rejected(t, '/a%', 'invalid percent-encoding');
  rejected(t, '/a%g1', 'invalid percent-encoding');
  rejected(t, '/a\tb', 'control character or space in path');
  rejected(t, '/a\r\nX-Auth-User: x', 'control character or space in path');
  rejected(t, '/a\u007fb', 'control character or space in path');
  rejected(t, '/a b', 'control character or space in path');
  rejected(t, '/a%0d%0aSet-Cookie:x', 'encoded control character');
  rejected(t, '/a%7F', 'encoded control character');
  rejected(t, 'admin', 'path must start with /');
  rejected(t, '', 'path must start with /');
  rejected(t, '*', 'path must start with /');
  rejected(t, 'http://evil.test/admin', 'absolute-form target not accepted');
  rejected(t, 'HTTPS://h/admin', 'absolute-form target not accepted');
});

t.test('ambiguous shapes other servers read differently are rejected', async (t) => {
  rejected(t, '/public/..;/admin', 'dot-segment with parameters');
  rejected(t, '/public/.;x/admin', 'dot-segment with parameters');
  rejected(t, '/public/%2e%2e;x/admin', 'dot-segment with parameters');
  rejected(t, '/admin#x', 'fragment in request-target');
  rejected(t, '/a\u0100', 'non-latin1 character in path');
});

t.test('query is split off, never matched, passed through unchanged', async (t) => {
  ok(t, '/a/b?x=1', '/a/b', '/a/b', '?x=1');
  ok(t, '/a/../b?x=/../%2f&y=%zz', '/b', '/b', '?x=/../%2f&y=%zz');
  ok(t, '/?', '/', '/', '?');
  ok(t, '/a?b?c', '/a', '/a', '?b?c');
  ok(t, '/a;p?q=1', '/a;p', '/a', '?q=1');
  rejected(t, '/a?x=1 2', 'invalid character in query');
  rejected(t, '/a?x=\r\n', 'invalid character in query');
});

t.test('percent-decoding of unreserved only, hex upper-cased otherwise (RFC 3986 §6.2.2)', async (t) => {
  ok(t, '/%7euser', '/~user', '/~user');
  ok(t, '/%7Euser', '/~user', '/~user');
  ok(t, '/%41', '/A', '/A');
  ok(t, '/a%2db', '/a-b', '/a-b');
  ok(t, '/a%5fb%2Ec', '/a_b.c', '/a_b.c');
  ok(t, '/a%3fb', '/a%3Fb', '/a%3Fb');
  ok(t, '/a%3Fb', '/a%3Fb', '/a%3Fb');
  ok(t, '/a%3bb', '/a%3Bb', '/a%3Bb'); // an encoded `;` is data, not a parameter delimiter
  ok(t, '/a%25b', '/a%25b', '/a%25b'); // `%25` is never decoded, so no double decoding
  ok(t, '/a%2561dmin', '/a%2561dmin', '/a%2561dmin');
  ok(t, '/caf%c3%a9', '/caf%C3%A9', '/caf%C3%A9');
  ok(t, '/caf\u00c3\u00a9', '/caf%C3%A9', '/caf%C3%A9'); // latin1 bytes from a forward-auth header
  ok(t, '/a{b}|c', '/a%7Bb%7D%7Cc', '/a%7Bb%7D%7Cc');
  ok(t, "/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,=");
});

t.test('slashes, dots and parameters', async (t) => {
  ok(t, '/', '/', '/');
  ok(t, '//', '/', '/');
  ok(t, '/admin/', '/admin/', '/admin/');
  ok(t, '/admin//', '/admin/', '/admin/');
  ok(t, '/a//b///c', '/a/b/c', '/a/b/c');
  ok(t, '/a/.', '/a/', '/a/');
  ok(t, '/a/..', '/', '/');
  ok(t, '/a/b/..', '/a/', '/a/');
  ok(t, '/a/./b/./', '/a/b/', '/a/b/');
  ok(t, '/.well-known/jwks.json', '/.well-known/jwks.json', '/.well-known/jwks.json');
  ok(t, '/a/...', '/a/...', '/a/...');
  ok(t, '/a..b', '/a..b', '/a..b');
  ok(t, '/a;x/b', '/a;x/b', '/a/b');
  ok(t, '/a;x;y=1/b;z', '/a;x;y=1/b;z', '/a/b');
  ok(t, '/admin;x/', '/admin;x/', '/admin/');
  ok(t, '/admin/;x', '/admin/;x', '/admin/');
  ok(t, '/;x', '/;x', '/');
  ok(t, '/a;x/../b', '/b', '/b');
  ok(t, '/%2e%2E%2e', '/...', '/...');
});

t.test('many .. within bounds and long paths', async (t) => {
  const deep = '/' + Array.from({ length: 500 }, (_, i) => `d${i}`).join('/');
  ok(t, deep + '/..'.repeat(500) + '/admin', '/admin', '/admin');
  rejected(t, deep + '/..'.repeat(501) + '/admin', 'path escapes the root');
  const long = '/' + 'a'.repeat(100_000);
  ok(t, long, long, long);
  const longEncoded = '/' + '%61'.repeat(20_000);
  ok(t, longEncoded, '/' + 'a'.repeat(20_000), '/' + 'a'.repeat(20_000));
  ok(t, '/' + '/'.repeat(50_000) + 'x', '/x', '/x');
});

t.test('canonical input comes back as the same string', async (t) => {
  const raw = '/api/v1/users/u-1/sessions';
  const r = normalizePath(raw + '?a=b');
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.path, raw);
    t.equal(r.matchPath, raw);
  }
});

t.test('idempotent: normalising the output gives the output', async (t) => {
  for (const raw of ['/x/%2e%2e/admin;p/', '/a%3fb/%7e/c', '/;x/a//b/.', '/caf%c3%a9/{x}']) {
    const once = normalizePath(raw);
    t.ok(once.ok, raw);
    if (!once.ok) continue;
    const twice = normalizePath(once.path);
    t.same(twice, once, raw);
  }
});

t.test('seeded fuzz: every accepted output is canonical and a fixed point', async (t) => {
  const parts = [
    '/',
    '//',
    '.',
    '..',
    '%2e',
    '%2E%2e',
    ';p',
    'a',
    'B',
    '%41',
    '%7e',
    '%3f',
    '%c3',
    '{',
    ':',
    '@',
    '*',
    '~',
    '%25',
  ];
  let seed = 0x2545f491;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % parts.length;
  };
  let accepted = 0;
  let bad = 0;
  for (let n = 0; n < 5000; n++) {
    let raw = '/';
    for (let k = next() + 1; k > 0; k--) raw += parts[next()];
    const r = normalizePath(raw);
    if (!r.ok) continue;
    accepted++;
    const again = normalizePath(r.path);
    const fine =
      r.path.startsWith('/') &&
      !r.path.includes('//') &&
      !r.matchPath.includes('//') &&
      !r.matchPath.includes(';') &&
      !/(^|\/)\.\.?(\/|;|$)/.test(r.path) &&
      again.ok &&
      again.path === r.path &&
      again.matchPath === r.matchPath;
    if (!fine) {
      bad++;
      t.fail(`not canonical: ${raw} → ${JSON.stringify(r)}`);
    }
  }
  t.equal(bad, 0);
  t.ok(accepted > 1000, `${accepted} accepted inputs checked`);
});
