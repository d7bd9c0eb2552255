// App hosts, the listen address and the cookie domain through the config schema, with the one
// host grammar (src/util/host.ts): one spelling per host, so one host cannot be two apps'.
import t from 'tap';
import { ConfigError, loadConfigText } from '../../src/config/load.js';
import { buildRegistry } from '../../src/registry.js';

const config = (hosts: string, more = '') => `
tenants:
  acme:
    apps:
      - { name: web, hosts: ${hosts}, upstream: "http://127.0.0.1:3000" }${more}
`;

function errors(yaml: string): string[] {
  try {
    loadConfigText(yaml, { env: {} });
  } catch (e) {
    if (e instanceof ConfigError) return e.errors.map((x) => `${x.path}: ${x.message}`);
    throw e;
  }
  return [];
}

t.test('hosts get their one spelling', async (t) => {
  const cfg = loadConfigText(config('[Web.Acme.Test, "*.Dash.acme.test", "0:0::1", "[::FFFF:1.2.3.4]", 10.0.0.5]'), {
    env: {},
  });
  t.same(cfg.tenants.acme!.apps[0]!.hosts, [
    'web.acme.test',
    '*.dash.acme.test',
    '[::1]',
    '[::ffff:102:304]',
    '10.0.0.5',
  ]);
  const registry = buildRegistry(cfg);
  t.equal(registry.appForHost('[::1]')?.name, 'web', 'the Host [0::1] parses to [::1] and finds the app');
  t.equal(registry.appForHost('a.dash.acme.test')?.name, 'web');
  t.equal(registry.appForHost('-a.dash.acme.test'), null, 'no label starts with -');
});

t.test('two spellings of one IPv6 address are one host (both were accepted for two apps)', async (t) => {
  t.same(errors(config('["::1"]', '\n      - { name: api, hosts: ["[0:0::1]"], upstream: "http://127.0.0.1:3001" }')), [
    'tenants.acme.apps[1].hosts[0]: host "[0:0::1]" already belongs to tenants.acme.apps[0]',
  ]);
});

t.test('hosts no request can name are refused, at their path', async (t) => {
  for (const h of [
    'web.acme.test:8080',
    'a@web.acme.test',
    'web.acme.test.',
    '"[fe80::1%eth0]"',
    '"[web.acme.test]"',
    '"[10.0.0.5]"',
    '1.2.3',
    'app.123',
    '"*.1.2.3.4"',
    '"*.*.acme.test"',
    'bücher.example',
    '""',
  ])
    t.match(errors(config(`[${h}]`)), [/^tenants\.acme\.apps\[0\]\.hosts\[0\]: invalid host /], h);
});

t.test('the listen address and the cookie domain use the same name grammar', async (t) => {
  t.same(loadConfigText('server: { listen: "Gw.Internal:8080" }', { env: {} }).server.listen, {
    host: 'Gw.Internal',
    port: 8080,
  });
  t.match(errors('server: { listen: "gw..internal:8080" }'), [/^server\.listen: invalid listen address/]);
  const domain = (d: string) => `tenants: { acme: { settings: { cookie: { domain: ${d} } } } }`;
  t.equal(loadConfigText(domain('.Acme.Test.'), { env: {} }).tenants.acme!.settings.cookie.domain, 'acme.test');
  t.match(errors(domain('"acme.test:443"')), [/cookie domain must be a host name/]);
  t.match(errors(domain('"a..test"')), [/cookie domain must be a host name/]);
});
