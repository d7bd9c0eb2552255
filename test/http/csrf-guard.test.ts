// The CSRF guard step with a stub scope: who it checks (cookie callers on state-changing
// methods only), the order of its checks (a cross-site request is refused before the body
// is read), where the token comes from, and that bad form input is a 4xx decision.
import t from 'tap';
import type { Deps } from '../../src/deps.js';
import { GatewayError } from '../../src/errors.js';
import { csrfGuard } from '../../src/http/csrf-guard.js';
import type { Decision, Scope } from '../../src/pipeline/scope.js';
import type { TenantRuntime } from '../../src/registry.js';
import { sessionCsrfToken } from '../../src/session/csrf.js';
import type { SessionRecord } from '../../src/store/types.js';

const SID = `sess_${'A'.repeat(33)}`;
const SECRET = 'S'.repeat(43);
const OTHER_SECRET = 'T'.repeat(43);
const TOKEN = sessionCsrfToken(SID, SECRET);

const tenant = {
  slug: 'acme',
  cookie: { name: 'gk_acme' },
  appHosts: ['dashboard.acme.test'],
} as unknown as TenantRuntime;
const deps = { registry: { config: { server: { publicUrl: 'http://gw.acme.test' } } } } as unknown as Deps;
const session = { id: SID, tenant: 'acme', userId: 'u-bob' } as SessionRecord;

function scopeOf(method: string, headers: Record<string, string>, credential: 'cookie' | 'bearer' = 'cookie'): Scope {
  return {
    input: {
      method,
      hostname: null,
      target: '/t/acme/x',
      headers: { cookie: `gk_acme=${SID}.${SECRET}`, ...headers },
      clientIp: '127.0.0.1',
      tenantSlug: 'acme',
    },
    tenant,
    session,
    credential,
  };
}

async function run(
  scope: Scope,
  form?: () => Promise<string>,
): Promise<{ decision: Decision | void; formReads: number }> {
  let formReads = 0;
  const reader =
    form &&
    (async () => {
      formReads++;
      return form();
    });
  const decision = await csrfGuard(reader).run(scope, deps);
  return { decision, formReads };
}
const reason = (d: Decision | void): string | undefined =>
  d && d.kind === 'deny' ? `${d.code}:${d.reason}` : undefined;

t.test('passes: the right token from this site, in the header or the form', async (t) => {
  t.equal((await run(scopeOf('POST', { 'x-csrf-token': TOKEN }))).decision, undefined, 'header, no Origin (a script)');
  t.equal(
    (await run(scopeOf('POST', { 'x-csrf-token': TOKEN, origin: 'http://gw.acme.test' }))).decision,
    undefined,
    "the gateway's origin",
  );
  t.equal(
    (
      await run(
        scopeOf('DELETE', {
          'x-csrf-token': TOKEN,
          origin: 'http://dashboard.acme.test',
          'sec-fetch-site': 'same-site',
        }),
      )
    ).decision,
    undefined,
    'an app host',
  );
  const viaForm = await run(scopeOf('POST', { origin: 'http://gw.acme.test' }), async () => TOKEN);
  t.equal(viaForm.decision, undefined, 'form field');
  t.equal(viaForm.formReads, 1);
  const header = await run(scopeOf('POST', { 'x-csrf-token': TOKEN }), async () => 'unused');
  t.equal(header.formReads, 0, 'the form is not read when the header carries the token');
});

t.test('not its business: safe methods and bearer callers', async (t) => {
  for (const m of ['GET', 'HEAD'])
    t.equal((await run(scopeOf(m, { origin: 'https://evil.test' }))).decision, undefined, `${m} from anywhere`);
  t.equal(
    (await run(scopeOf('POST', { origin: 'https://evil.test' }, 'bearer'))).decision,
    undefined,
    'a bearer caller (no ambient credential)',
  );
});

t.test('refused: cross-site before the body is read, then a missing, wrong or foreign token', async (t) => {
  const crossSite: Record<string, string>[] = [
    { origin: 'https://evil.test' },
    { origin: 'null' },
    { 'sec-fetch-site': 'cross-site' },
    { origin: 'http://dashboard.acme.test.evil.test' },
  ];
  for (const headers of crossSite) {
    const r = await run(scopeOf('POST', headers), async () => TOKEN);
    t.equal(reason(r.decision), 'ERR_GK_CSRF:cross_site_request', JSON.stringify(headers));
    t.equal(r.formReads, 0, `${JSON.stringify(headers)}: the body is never read`);
  }
  const cases: [string, Record<string, string>, (() => Promise<string>) | undefined][] = [
    ['no token at all', {}, undefined],
    ['an empty form field', {}, async () => ''],
    ['an empty header (the form is not consulted)', { 'x-csrf-token': '' }, async () => TOKEN],
    ['a wrong token', { 'x-csrf-token': 'A'.repeat(TOKEN.length) }, undefined],
    ['a shorter token', { 'x-csrf-token': TOKEN.slice(1) }, undefined],
    ["another secret's token for the same id", { 'x-csrf-token': sessionCsrfToken(SID, OTHER_SECRET) }, undefined],
  ];
  for (const [what, headers, form] of cases)
    t.equal(reason((await run(scopeOf('POST', headers), form)).decision), 'ERR_GK_CSRF:csrf_token_mismatch', what);
  const noCookie = scopeOf('POST', { 'x-csrf-token': TOKEN, cookie: '' });
  t.equal(
    reason((await run(noCookie)).decision),
    'ERR_GK_CSRF:csrf_token_mismatch',
    'without the cookie that names the session nothing matches',
  );
});

t.test('a form that cannot be read is its own 4xx, not a failed step', async (t) => {
  const r = await run(scopeOf('POST', {}), () =>
    Promise.reject(new GatewayError('ERR_GK_UNSUPPORTED_MEDIA_TYPE', 'text/plain')),
  );
  t.equal(reason(r.decision), 'ERR_GK_UNSUPPORTED_MEDIA_TYPE:text/plain');
  await t.rejects(
    run(scopeOf('POST', {}), () => Promise.reject(new Error('bug'))),
    /bug/,
    'anything else is ours: it propagates',
  );
});
