// Tests for the post-login `rd` check (SPEC §5): every open-redirect trick lands on `/`, good targets pass unchanged.
import t from 'tap';
import { safeRedirect } from '../../src/http/redirect.js';

const https = { publicUrl: 'https://gw.acme.test', hosts: ['dashboard.acme.test', '*.dash.acme.test'] };
const http = { publicUrl: 'http://localhost:8080', hosts: ['dashboard.acme.test', '*.dash.acme.test'] };

t.test('good targets pass unchanged', async (t) => {
  for (const rd of [
    '/',
    '/account/sessions',
    '/a/b?c=d&e=%2F%2Fevil.com#frag',
    '/t/acme/login?rd=%2Fx',
    '/path;p=1',
    'https://gw.acme.test/',
    'https://gw.acme.test',
    'https://GW.acme.test/x?y=1',
    'https://gw.acme.test:443/x',
    'https://dashboard.acme.test/reports?q=1',
    'https://DASHBOARD.ACME.TEST/',
    'https://eu.dash.acme.test/x',
    'https://dashboard.acme.test:443/x',
  ])
    t.equal(safeRedirect(rd, https), rd, rd);
  for (const rd of [
    'http://localhost:8080/x',
    'http://dashboard.acme.test:8080/x', // app served through the gateway's port
    'http://dashboard.acme.test/x', // default port of the scheme
    'https://dashboard.acme.test/x', // upgrading is fine
  ])
    t.equal(safeRedirect(rd, http), rd, rd);
});

t.test('open-redirect tricks land on /', async (t) => {
  for (const rd of [
    undefined,
    '',
    '//evil.com',
    '//evil.com/path',
    '/\\evil.com',
    '/\\/evil.com',
    '\\\\evil.com',
    '\\/evil.com',
    'https://app.test@evil.com',
    'https://dashboard.acme.test@evil.com/',
    'https://user:pw@dashboard.acme.test/',
    'https://user@gw.acme.test/',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox',
    'http:evil.com',
    'https:evil.com',
    'https:/evil.com',
    'https:\\\\evil.com',
    'https:/\\evil.com',
    ' /x',
    '/x ',
    '\t/x',
    '/x\n',
    '\u0000/x',
    ' https://gw.acme.test/',
    'https://gw.acme.test/\r\nSet-Cookie: x=1',
    '/%2F%2Fevil.com',
    '/%2f/evil.com',
    '/%5Cevil.com',
    '/a/%2F%2Fevil.com',
    '/' + 'a'.repeat(2048),
    'evil.com',
    'dashboard.acme.test/x',
    '.',
    '?x=1',
    '#x',
    'ftp://gw.acme.test/',
    'ws://gw.acme.test/',
    'https://evil.com/',
    'https://gw.acme.test.evil.com/',
    'https://evil.com/https://gw.acme.test/',
    'https://evil.com?https://gw.acme.test',
    'https://evil.com#@gw.acme.test',
    'https://gw.acme.test%2eevil.com/',
    'https://gw.acme.test:8443/', // another port on the gateway host
    'http://gw.acme.test/', // another scheme for the gateway origin
    'http://dashboard.acme.test/', // downgrade from an https gateway
    'https://dashboard.acme.test:3000/', // the upstream's own port
    'https://dash.acme.test/', // wildcard needs one more label
    'https://a.b.dash.acme.test/', // and only one
    'https://acme.test/',
    'https://dashboard.acme.test./', // trailing dot is another spelling
    'https://dashboard。acme。test/', // non-ASCII is refused before parsing
    'https://dashboard.acme.test/\u2215evil',
  ])
    t.equal(safeRedirect(rd, https), '/', JSON.stringify(rd));
});

t.test('at the length limit', async (t) => {
  const at = '/' + 'a'.repeat(2047);
  t.equal(safeRedirect(at, https), at, '2048 chars pass');
  t.equal(safeRedirect(at + 'a', https), '/', '2049 chars do not');
});

t.test('a bad publicUrl never lets anything absolute through', async (t) => {
  t.equal(safeRedirect('https://gw.acme.test/', { publicUrl: 'not a url', hosts: [] }), '/');
  t.equal(safeRedirect('/ok', { publicUrl: 'not a url', hosts: [] }), '/ok');
});
