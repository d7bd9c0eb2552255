// The one host grammar (src/util/host.ts): the Host header, configured hosts and matching.
// Where the four grammars it replaces differed, the case is named with what each did before.
import type { IncomingMessage } from 'node:http';
import t from 'tap';
import { readOriginal } from '../../src/http/handlers/forward-auth.js';
import { canonicalHost, hasSingleHost, hostMatches, hostnameOf, isHostName } from '../../src/util/host.js';

t.test('hostnameOf: the Host header → lower-case hostname without port', async (t) => {
  t.equal(hostnameOf('app.acme.test'), 'app.acme.test');
  t.equal(hostnameOf('App.ACME.Test:8080'), 'app.acme.test', 'upper case and a port');
  t.equal(hostnameOf('localhost:65535'), 'localhost', 'the highest port');
  t.equal(hostnameOf('a_b.internal'), 'a_b.internal', '_ as in real internal names');
  t.equal(hostnameOf('127.0.0.1:8080'), '127.0.0.1');
  t.equal(hostnameOf('xn--bcher-kva.example'), 'xn--bcher-kva.example', 'punycode is a name like any other');
  t.equal(hostnameOf('app.acme.test.'), 'app.acme.test.', 'a trailing dot is a valid Host (it matches no app)');
  t.equal(hostnameOf('[::1]:8080'), '[::1]');
  t.equal(hostnameOf('[0:0::1]'), '[::1]', 'IPv6 in its canonical form (was kept as spelled and matched nothing)');
  t.equal(hostnameOf('[::FFFF:1.2.3.4]'), '[::ffff:102:304]', 'as WHATWG URL spells it, like rd and Origin');
  t.equal(hostnameOf(`${'a'.repeat(63)}.test`), `${'a'.repeat(63)}.test`, 'a 63-character label');
});

t.test('hostnameOf: what could name another origin or is malformed → null (400)', async (t) => {
  for (const [v, why] of [
    [undefined, 'missing'],
    ['', 'empty'],
    ['a.test@evil.test', 'userinfo'],
    ['a.test:80@evil.test', 'userinfo after a port'],
    ['a.test/x', 'a path'],
    ['a.test?x', 'a query'],
    ['a.test#x', 'a fragment'],
    ['a.test\\evil.test', 'a backslash'],
    [' a.test', 'leading whitespace (was trimmed by registry.ts; Node strips it before us anyway)'],
    ['a.test ', 'trailing whitespace'],
    ['a .test', 'inner whitespace'],
    ['a.test\t', 'a tab'],
    ['bücher.example', 'non-ASCII (browsers send punycode)'],
    ['a.test:', 'an empty port'],
    ['a.test:65536', 'port over 65535 (forward-auth took it and routed to no app)'],
    ['a.test:123456', 'six port digits'],
    ['a.test:80:80', 'two ports'],
    ['a.test:+80', 'a signed port'],
    ['a..test', 'an empty label (was accepted by registry.ts and forward-auth)'],
    ['.a.test', 'a leading dot (was accepted by registry.ts and forward-auth)'],
    ['-a.test', 'a label starting with - (was accepted by registry.ts and forward-auth)'],
    ['a-.test', 'a label ending with -'],
    ['.', 'a lone dot'],
    ['a.test..', 'two trailing dots'],
    [`${'a'.repeat(64)}.test`, 'a 64-character label'],
    [`${'a.'.repeat(127)}ab`, 'a name over 253 characters'],
    ['*.a.test', 'a wildcard is no Host'],
    ['::1', 'IPv6 without brackets'],
    ['[::1', 'an unclosed bracket'],
    ['[::1]x', 'garbage after the bracket'],
    ['[::1]:', 'an empty port after IPv6'],
    ['[:::::]', 'not an IPv6 address (was accepted by registry.ts and forward-auth)'],
    ['[fe80::1%eth0]', 'a zone id'],
    ['[1.2.3.4]', 'brackets around IPv4'],
    ['[a.test]', 'brackets around a name'],
  ] as const)
    t.equal(hostnameOf(v), null, why);
});

t.test('isHostName: the name grammar of the listen address and the cookie domain', async (t) => {
  t.ok(isHostName('Acme.Test'), 'either case');
  t.ok(isHostName('acme.test.'), 'one trailing dot');
  t.ok(isHostName('localhost'));
  t.ok(isHostName('1.2.3.4'), 'digits are a label');
  t.ok(isHostName(`${'a.'.repeat(126)}a`), '253 characters');
  t.notOk(isHostName(`${'a.'.repeat(127)}a`), '255 characters');
  t.notOk(isHostName(''));
  t.notOk(isHostName('*.acme.test'));
  t.notOk(isHostName('acme.test:80'));
  t.notOk(isHostName('a@acme.test'));
});

t.test('canonicalHost: a configured app host → its one spelling', async (t) => {
  t.equal(canonicalHost('Dashboard.ACME.test'), 'dashboard.acme.test', 'lower-case');
  t.equal(canonicalHost('*.Dash.acme.test'), '*.dash.acme.test', 'a wildcard');
  t.equal(canonicalHost('*.localhost'), '*.localhost', 'a wildcard over one label');
  t.equal(canonicalHost('10.0.0.5'), '10.0.0.5', 'IPv4');
  t.equal(canonicalHost('::1'), '[::1]', 'IPv6 without brackets gets them');
  t.equal(canonicalHost('[::1]'), '[::1]');
  t.equal(canonicalHost('[0:0:0::1]'), '[::1]', 'IPv6 canonical (was kept as written: never matched rd or Origin)');
  t.equal(canonicalHost('xn--bcher-kva.example'), 'xn--bcher-kva.example', 'punycode');
  for (const [v, why] of [
    ['', 'empty'],
    ['acme.test:8080', 'a port'],
    ['[::1]:8080', 'IPv6 with a port'],
    ['a@acme.test', 'userinfo'],
    ['acme.test/x', 'a path'],
    [' acme.test', 'whitespace'],
    ['acme.test.', 'a trailing dot'],
    ['*.acme.test.', 'a wildcard with a trailing dot'],
    ['*', 'a bare wildcard'],
    ['*.', 'a wildcard over nothing'],
    ['*.*.acme.test', 'two wildcards'],
    ['a.*.acme.test', 'a wildcard inside'],
    ['*acme.test', 'a wildcard inside a label'],
    ['bücher.example', 'non-ASCII (write the punycode)'],
    ['[fe80::1%eth0]', 'an IPv6 zone id (was accepted; no Host can carry it)'],
    ['fe80::1%eth0', 'an IPv6 zone id without brackets'],
    ['[1.2.3.4]', 'brackets around IPv4 (was accepted as 1.2.3.4)'],
    ['[acme.test]', 'brackets around a name (was accepted as acme.test)'],
    ['1.2.3', 'read by browsers as IPv4 1.2.0.3 (was accepted)'],
    ['010.0.0.1', 'read by browsers as IPv4 8.0.0.1 (was accepted)'],
    ['app.123', 'ends in a number: no browser URL parses (was accepted)'],
    ['app.0x1f', 'ends in a hex number'],
    ['*.1.2.3.4', 'a wildcard over an IPv4 address (was accepted)'],
  ] as const)
    t.equal(canonicalHost(v), null, why);
  t.equal(canonicalHost('app.123x'), 'app.123x', 'a last label with a letter is a name');
});

t.test('hostMatches', async (t) => {
  const p = ['dashboard.acme.test', '*.dash.acme.test'];
  t.ok(hostMatches('dashboard.acme.test', p));
  t.ok(hostMatches('Dashboard.ACME.test', p), 'case-insensitive');
  t.ok(hostMatches('eu.dash.acme.test', p));
  t.ok(hostMatches('EU-1.DASH.acme.test', p));
  t.ok(hostMatches('a_b.dash.acme.test', p), '_ in the label');
  t.ok(hostMatches('x.dash.acme.test', ['*.DASH.ACME.TEST']), 'pattern case is ignored too');
  t.notOk(hostMatches('dash.acme.test', p), 'wildcard needs a label');
  t.notOk(hostMatches('.dash.acme.test', p), 'the label may not be empty');
  t.notOk(hostMatches('a.b.dash.acme.test', p), 'exactly one label');
  t.notOk(hostMatches('a/b.dash.acme.test', p), 'a label is LDH only');
  t.notOk(hostMatches('a@b.dash.acme.test', p), 'no userinfo in the label');
  t.notOk(hostMatches('-a.dash.acme.test', p), 'a label does not start with - (was matched)');
  t.notOk(hostMatches('a-.dash.acme.test', p), 'a label does not end with - (was matched)');
  t.notOk(hostMatches(`${'a'.repeat(64)}.dash.acme.test`, p), 'a label is at most 63 (was matched)');
  t.notOk(hostMatches('evildash.acme.test', p));
  t.notOk(hostMatches('dashboard.acme.test.', p), 'trailing dot does not match');
  t.notOk(hostMatches('a.dash.acme.test.', p), 'nor under a wildcard');
  t.notOk(hostMatches('dashboard.acme.test.evil', p));
  t.notOk(hostMatches('xdashboard.acme.test', p));
  t.notOk(hostMatches('dashboard.acme.test:443', p), 'a port is no part of a hostname');
  t.notOk(hostMatches('', p));
  t.notOk(hostMatches('dashboard.acme.test', []));
  t.ok(hostMatches('[::1]', ['[::1]']));
  t.notOk(hostMatches('acme.test', ['*.acme.test']), 'a wildcard does not cover its own domain');
});

t.test('hasSingleHost', async (t) => {
  t.ok(hasSingleHost(['Host', 'a.test', 'Accept', '*/*']));
  t.ok(hasSingleHost([]), 'none (the caller decides what a missing Host means)');
  t.notOk(hasSingleHost(['Host', 'a.test', 'hOsT', 'evil.test']), 'two, in any case');
});

/** An auth request as nginx sends it, from a trusted peer. */
const authRequest = (host: string): IncomingMessage =>
  ({
    rawHeaders: ['Host', 'gw', 'X-Original-URI', '/x', 'X-Original-Method', 'GET', 'X-Forwarded-Host', host],
    headers: { host: 'gw' },
    socket: {},
  }) as unknown as IncomingMessage;

t.test('forward-auth reads the original host with the same grammar', async (t) => {
  t.match(readOriginal(authRequest('App.acme.test:8443')), { ok: true, original: { host: 'App.acme.test:8443' } });
  t.match(readOriginal(authRequest('[::1]:8080')), { ok: true });
  for (const host of ['a.test:65536', 'a..test', '-a.test', '[:::::]', 'a.test@evil.test', 'a.test/x', ''])
    t.same(readOriginal(authRequest(host)), { ok: false, reason: 'bad_original_host' }, host);
});
