// openGeo / GeoLocator against a real MMDB fixture (test/fixtures/geo, built with
// MaxMind's Perl writer): known networks resolve over IPv4 and IPv6, everything else is
// null without throwing, and a bad `geoip.file` is a clear startup error.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/util/log.js';
import { openGeo } from '../../src/geo/locate.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/geo/geo-test.mmdb', import.meta.url));
const NOT_AN_MMDB = fileURLToPath(new URL('../fixtures/geo/README.md', import.meta.url));

function testLogger() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { log, lines };
}

t.test('openGeo(null) means no GeoIP database', async (t) => {
  t.equal(await openGeo(null, testLogger().log), null);
});

t.test('resolves the fixture networks over IPv4 and IPv6', async (t) => {
  const { log, lines } = testLogger();
  const geo = await openGeo(FIXTURE, log);
  if (!geo) throw new Error('expected a locator');
  t.teardown(() => geo.close?.());

  t.same(geo.locate('203.0.113.7'), { city: 'Sydney', country: 'AU' });
  t.same(geo.locate('203.0.113.255'), { city: 'Sydney', country: 'AU' });
  t.same(geo.locate('198.51.100.1'), { city: 'Berlin', country: 'DE' });
  t.same(geo.locate('2001:db8::1'), { city: 'Tokyo', country: 'JP' });
  t.same(geo.locate('2001:db8:ffff:ffff::42'), { city: 'Tokyo', country: 'JP' });
  t.same(geo.locate('2001:DB8::1'), { city: 'Tokyo', country: 'JP' }, 'upper-case hex');
  // Node reports IPv4 peers on dual-stack sockets as IPv4-mapped IPv6.
  t.same(geo.locate('::ffff:203.0.113.7'), { city: 'Sydney', country: 'AU' }, 'IPv4-mapped');
  // A record with a country and no city, as real databases have for many ranges.
  t.same(geo.locate('192.0.2.10'), { city: null, country: 'US' }, 'country-only record');

  // Repeated lookups (served from the cache) give the same answer.
  t.same(geo.locate('203.0.113.7'), { city: 'Sydney', country: 'AU' });
  t.equal(geo.locate('203.0.113.7'), geo.locate('203.0.113.7'), 'cached object reused');
  t.ok(Object.isFrozen(geo.locate('203.0.113.7')), 'shared result cannot be mutated by a caller');

  const loaded = lines.find((l) => l.msg === 'geoip database loaded');
  t.match(loaded, { geoip: { file: FIXTURE, databaseType: 'GeoIP2-City', ipVersion: 6 } });
  t.notOk(
    lines.some((l) => l.level === 40),
    'no warnings for a City database',
  );
});

t.test('unknown, private, garbage and empty input give null without throwing', async (t) => {
  const geo = await openGeo(FIXTURE, testLogger().log);
  if (!geo) throw new Error('expected a locator');
  t.teardown(() => geo.close?.());

  const nulls = [
    // unknown public addresses
    '8.8.8.8',
    '203.0.114.1',
    '2606:4700::1111',
    '2001:db9::1',
    // private, loopback, link-local, unspecified
    '10.0.0.1',
    '192.168.1.1',
    '172.16.0.1',
    '127.0.0.1',
    '::1',
    '::',
    '0.0.0.0',
    'fe80::1',
    'fe80::1%eth0',
    'fd00::1',
    '::ffff:10.0.0.1',
    // garbage
    '',
    ' ',
    'not-an-ip',
    '203.0.113',
    '203.0.113.7.1',
    '256.0.0.1',
    '203.0.113.7/24',
    ' 203.0.113.7',
    '203.0.113.7 ',
    '2001:db8:::1',
    '2001:db8::g',
    'localhost',
    '::ffff:',
    '\u0000',
    '203.0.113.7\u0000',
    'x'.repeat(10_000),
    '1'.repeat(100),
  ];
  for (const ip of nulls) {
    let got: unknown;
    t.doesNotThrow(() => (got = geo.locate(ip)), JSON.stringify(ip.slice(0, 40)));
    t.equal(got, null, `null for ${JSON.stringify(ip.slice(0, 40))}`);
  }
  // Stored session data is not type-checked at runtime: non-strings must not throw either.
  for (const odd of [undefined, null, 42, {}, ['203.0.113.7']] as unknown[]) {
    t.equal(geo.locate(odd as string), null, `null for ${JSON.stringify(odd)}`);
  }
  // A miss is cached as a miss, not as an error.
  t.equal(geo.locate('8.8.8.8'), null);
});

t.test('close() releases the locator; later lookups are null', async (t) => {
  const geo = await openGeo(FIXTURE, testLogger().log);
  if (!geo) throw new Error('expected a locator');
  t.same(geo.locate('198.51.100.1'), { city: 'Berlin', country: 'DE' });
  geo.close?.();
  t.equal(geo.locate('198.51.100.1'), null);
  t.doesNotThrow(() => geo.close?.(), 'close twice is harmless');
});

t.test('a missing or invalid file is a clear rejection naming the setting and the file', async (t) => {
  const missing = fileURLToPath(new URL('../fixtures/geo/does-not-exist.mmdb', import.meta.url));
  await t.rejects(openGeo(missing, testLogger().log), {
    message: new RegExp(`^geoip\\.file: cannot open MaxMind database ".*does-not-exist\\.mmdb": .*ENOENT`),
  });
  await t.rejects(openGeo(NOT_AN_MMDB, testLogger().log), {
    message: /^geoip\.file: cannot open MaxMind database ".*README\.md": /,
  });
});
