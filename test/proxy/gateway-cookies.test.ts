// The gateway's cookies never cross the proxy (SPEC §3.4): what the upstream's Cookie
// header keeps, and which upstream Set-Cookie lines a browser would store as ours.
import t from 'tap';
import { browserCookieName, isGatewaySetCookie, withoutGatewayCookies } from '../../src/proxy/gateway-cookies.js';

t.test("every tenant's gateway cookies are removed from the Cookie header", async (t) => {
  t.equal(withoutGatewayCookies('a=1; gk_acme=s.x; b=2'), 'a=1; b=2');
  t.equal(
    withoutGatewayCookies('gk_globex=s.x; __Host-gk_acme=1; __Secure-gk_acme=2; gk_acme_login=n'),
    undefined,
    'all tenants, all prefixes, login cookies',
  );
  t.equal(withoutGatewayCookies('GK_ACME=1; __HOST-gk_acme=2;a=3'), 'a=3', 'case-insensitive');
  t.equal(withoutGatewayCookies(' gk_acme =1 ; app=ok'), 'app=ok', 'spaces around the name');
  t.equal(withoutGatewayCookies('gk_acme; app=ok'), 'app=ok', 'a name without value');
  t.equal(withoutGatewayCookies('app=gk_acme; x=1'), 'app=gk_acme; x=1', 'a value that looks like ours is not a name');
  t.equal(
    withoutGatewayCookies('mygk_acme=1; notgk_=2'),
    'mygk_acme=1; notgk_=2',
    'only names that start with the family',
  );
  t.equal(withoutGatewayCookies(undefined), undefined);
  t.equal(withoutGatewayCookies('a=1'), 'a=1');
});

t.test('the name a browser stores a Set-Cookie under', async (t) => {
  t.equal(browserCookieName('gk_acme=x; Path=/'), 'gk_acme');
  t.equal(browserCookieName(' gk_acme =x'), 'gk_acme', 'trimmed');
  t.equal(
    browserCookieName('=gk_acme=x; Path=/'),
    'gk_acme',
    'nameless form: the browser sends the value, read as gk_acme=x',
  );
  t.equal(browserCookieName('gk_acme'), 'gk_acme', 'no = at all: a nameless cookie whose value is the name');
  t.equal(browserCookieName('  =  gk_acme=x'), 'gk_acme');
  t.equal(browserCookieName('app=1'), 'app');
});

t.test('upstream Set-Cookie lines that would plant a gateway cookie', async (t) => {
  for (const sc of [
    'gk_acme=planted; Path=/',
    '=gk_acme=planted',
    'gk_acme =planted',
    '__Host-gk_acme=x; Secure; Path=/',
    '__Secure-gk_globex=x',
    'GK_acme=x',
    'gk_acme_login=n',
    '\tgk_acme=x',
  ]) {
    t.ok(isGatewaySetCookie(sc), `dropped: ${JSON.stringify(sc)}`);
  }
  for (const sc of ['app=1; Path=/', 'session=gk_acme', '=app=1', 'x_gk_acme=1']) {
    t.notOk(isGatewaySetCookie(sc), `kept: ${JSON.stringify(sc)}`);
  }
});
