// parseDuration / formatDuration: the units of SPEC §2, bad input refused, and a lossless round trip.
import t from 'tap';
import { DEFAULTS } from '../../src/config/defaults.js';
import { checkDuration, formatDuration, MAX_DURATION_SECONDS, parseDuration } from '../../src/util/duration.js';

t.test('parses every unit and plain seconds', async (t) => {
  t.equal(parseDuration('90s'), 90);
  t.equal(parseDuration('30m'), 1800);
  t.equal(parseDuration('24h'), 86_400);
  t.equal(parseDuration('30d'), 2_592_000);
  t.equal(parseDuration('45'), 45);
  t.equal(parseDuration(45), 45);
  t.equal(parseDuration(0), 0);
  t.equal(parseDuration('0s'), 0);
});

t.test('refuses anything else with a message naming the value', async (t) => {
  for (const bad of ['5x', '1.5h', '-1s', '1h30m', ' 30m', '30M', '', 'h', '30 m', '1e3']) {
    t.throws(
      () => parseDuration(bad),
      { name: 'RangeError', message: new RegExp(`invalid duration ${JSON.stringify(bad)}`) },
      bad,
    );
  }
  for (const bad of [-1, 1.5, Number.NaN, Infinity]) t.throws(() => parseDuration(bad), RangeError, String(bad));
  t.throws(() => parseDuration(`${MAX_DURATION_SECONDS / 86_400 + 1}d`), /too long/);
  t.equal(parseDuration(MAX_DURATION_SECONDS), MAX_DURATION_SECONDS);
  t.match(checkDuration(null), { ok: false, message: /invalid duration/ });
  t.match(checkDuration({}), { ok: false });
});

t.test('formats with the unit SPEC uses; days only from 2 days on', async (t) => {
  t.equal(formatDuration(90), '90s');
  t.equal(formatDuration(1800), '30m');
  t.equal(formatDuration(3600), '1h');
  t.equal(formatDuration(86_400), '24h');
  t.equal(formatDuration(172_800), '2d');
  t.equal(formatDuration(2_592_000), '30d');
  t.equal(formatDuration(90_000), '25h');
  t.equal(formatDuration(61), '61s');
  t.equal(formatDuration(0), '0s');
  t.throws(() => formatDuration(-1), TypeError);
  t.throws(() => formatDuration(1.5), TypeError);
});

t.test('DEFAULTS format back to exactly the SPEC strings', async (t) => {
  const s = DEFAULTS.settings;
  t.same(
    [
      s.sessionLifetime,
      s.accessTokenLifetime,
      s.refreshTokenLifetime,
      s.idleTimeout,
      s.rememberMe.duration,
      s.loginThrottle.window,
      s.loginThrottle.lockout,
      s.refreshGrace,
      DEFAULTS.server.shutdownTimeout,
    ].map(formatDuration),
    ['24h', '1h', '30d', '30m', '30d', '15m', '30m', '10s', '10s'],
  );
});

t.test('round trip is lossless', async (t) => {
  for (const n of [0, 1, 59, 60, 61, 3599, 3600, 86_399, 86_400, 86_460, 172_800, 1_000_000, MAX_DURATION_SECONDS]) {
    t.equal(parseDuration(formatDuration(n)), n, String(n));
  }
});
