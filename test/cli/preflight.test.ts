// check-config is the pre-deploy gate: it runs every check start runs (src/preflight.ts),
// so each configuration below — valid YAML that the schema accepts — is refused by both,
// with the same YAML path, and start never reaches "listening on".
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../src/cli.js';
import { generateJwks } from '../../src/tokens/keys.js';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const CLI = ['--import', 'tsx', 'src/cli.ts'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    // A start that was not refused would serve until stopped: make that a failure, not a hang.
    p.stdout.on('data', () => {
      if (/listening on/.test(stdout)) p.kill('SIGTERM');
    });
  });
}

const app = (upstream: string) =>
  `    apps:\n      - { name: a, hosts: [app.pf.test], upstream: "${upstream}", routes: [{ path: /**, allow: anonymous }] }\n`;
const base = (extra: { top?: string; server?: string; tenant?: string; upstream?: string } = {}) =>
  `server:\n  listen: 127.0.0.1:0\n  publicUrl: https://gw.pf.test\n${extra.server ?? ''}${extra.top ?? ''}tenants:\n  c:\n    users: []\n${extra.tenant ?? ''}${app(extra.upstream ?? 'http://127.0.0.1:9')}`;

const validJwks = JSON.stringify(await generateJwks('ES256'));
const { d: _d, ...publicOnly } = (await generateJwks('ES256')).keys[0]!;

// [what, config, the YAML path both must name, what the message says]
const CASES: [string, string, string, RegExp][] = [
  [
    'Redis without keys.file',
    base({ top: 'store: { redis: "redis://127.0.0.1:1/0" }\n' }),
    'keys.file',
    /required when store\.redis is set/,
  ],
  ['an empty JWKS', base({ top: 'keys: { file: empty.json }\n' }), 'keys.file', /no "keys"/],
  ['a key file that is not JSON', base({ top: 'keys: { file: notjson.json }\n' }), 'keys.file', /not valid JSON/],
  ['a key file that is a directory', base({ top: 'keys: { file: adir }\n' }), 'keys.file', /EISDIR/],
  [
    'a JWKS with public keys only',
    base({ top: 'keys: { file: public.json, algorithm: ES256 }\n' }),
    'keys.file',
    /no usable signing key/,
  ],
  [
    'a JWKS of another algorithm',
    base({ top: 'keys: { file: es256.json, algorithm: RS256 }\n' }),
    'keys.file',
    /not a RS256 key/,
  ],
  ['a GeoIP file that is not a MaxMind database', base({ top: 'geoip: { file: notjson.json }\n' }), 'geoip.file', /./],
  [
    'a users file that cannot be read',
    base().replace('users: []', 'users: { file: adir }'),
    'tenants.c.users.file',
    /EISDIR/,
  ],
  [
    'an upstream that is the gateway itself',
    base({ server: '  ops: { listen: "127.0.0.1:19476" }\n', upstream: 'http://127.0.0.1:19476' }),
    'tenants.c.apps[0].upstream',
    /loop back into the gateway/,
  ],
  ['an upstream on port 0', base({ upstream: 'http://127.0.0.1:0' }), 'tenants.c.apps[0].upstream', /port 0/],
  [
    'the ops listener on the main listener port',
    base({ server: '  ops: { listen: "0.0.0.0:19477" }\n' }).replace('127.0.0.1:0', '127.0.0.1:19477'),
    'server.ops.listen',
    /must differ from server\.listen/,
  ],
  [
    'an identity provider without openid',
    base({
      tenant:
        '    identityProviders:\n      - { id: corp, displayName: Corp, issuer: "https://idp.pf.test", clientId: gk, scopes: [email] }\n',
    }),
    'tenants.c.identityProviders[0].scopes',
    /must include openid/,
  ],
];

/** The CLI in this process (each case is refused before anything is bound or started). */
async function runHere(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    Object.assign(console, { log, error });
  }
}

function refusedAt(t: Test, name: string, r: Run, path: string, message: RegExp): void {
  t.equal(r.code, 1, `${name} exits 1`);
  const line = r.stderr.split('\n').find((l) => l.trim().startsWith(`${path}: `));
  t.ok(line, `${name} names ${path}`);
  t.match(line ?? '', message, `${name} says why`);
  t.notMatch(r.stdout, /listening on/, `${name} binds nothing`);
}

async function fixtures(t: Test): Promise<string> {
  const dir = t.testdir({
    'empty.json': '{"keys": []}',
    'notjson.json': '{ "keys": [ nope',
    'public.json': JSON.stringify({ keys: [publicOnly] }),
    'es256.json': validJwks,
  });
  mkdirSync(join(dir, 'adir'));
  return dir;
}

t.test('check-config refuses what start refuses, with the YAML path', async (t) => {
  const dir = await fixtures(t);
  for (const [i, [what, yaml, path, message]] of CASES.entries()) {
    await t.test(what, async (t) => {
      const file = join(dir, `case-${i}.yaml`);
      writeFileSync(file, yaml);
      const check = await runHere(['check-config', '--config', file]);
      const start = await runHere(['start', '--config', file]);
      refusedAt(t, 'check-config', check, path, message);
      refusedAt(t, 'start', start, path, message);
      t.notMatch(check.stderr + start.stderr, /"d"|"kty"/, 'no key material in the output');
    });
  }
});

t.test('the gatekeeper command: every case at once, every path, exit 1 from both', async (t) => {
  // One file holding a problem of each kind the schema cannot see, run as a user runs it.
  // (These checks run once the file itself loads: its schema errors come first, all together.)
  const dir = await fixtures(t);
  const file = join(dir, 'all.yaml');
  writeFileSync(
    file,
    base({
      server: '  ops: { listen: "0.0.0.0:19477" }\n',
      top: 'store: { redis: "redis://127.0.0.1:1/0" }\ngeoip: { file: notjson.json }\n',
      upstream: 'http://127.0.0.1:0',
    }).replace('127.0.0.1:0\n', '127.0.0.1:19477\n'),
  );
  const paths = ['keys.file', 'geoip.file', 'server.ops.listen', 'tenants.c.apps[0].upstream'];
  const escape = (s: string) => s.replace(/[.[\]]/g, '\\$&');
  const [check, start] = await Promise.all([run(['check-config', '--config', file]), run(['start', '--config', file])]);
  for (const [name, r] of [
    ['check-config', check],
    ['start', start],
  ] as const) {
    t.equal(r.code, 1, `${name} exits 1`);
    for (const p of paths) t.match(r.stderr, new RegExp(`^  ${escape(p)}: `, 'm'), `${name} names ${p}`);
    t.notMatch(r.stdout, /listening on/, `${name} binds nothing`);
  }
});

t.test('a good configuration passes both; warnings are shown, not fatal', async (t) => {
  const dir = t.testdir({ 'keys.json': validJwks });
  const file = join(dir, 'gw.yaml');
  writeFileSync(
    file,
    base({
      top: 'keys: { file: keys.json, algorithm: ES256 }\nstore: { redis: "redis://127.0.0.1:1/0" }\n',
      tenant:
        '    identityProviders:\n      - { id: corp, displayName: Corp, issuer: "http://idp.pf.test", clientId: gk }\n',
    }).replace('https://gw.pf.test', 'http://gw.pf.test'),
  );
  const check = await runHere(['check-config', '--config', file]);
  t.equal(check.code, 0, check.stderr);
  t.match(check.stdout, /valid \(1 tenant\(s\)\)/);
  t.match(check.stderr, /^warning: server\.publicUrl: plain http/m);
  t.match(
    check.stderr,
    /^warning: tenants\.c\.identityProviders\[0\]\.issuer: plain http to a host that is not loopback/m,
  );
  t.notMatch(check.stderr, /keys\.file/, 'a key file: no ephemeral-key warning');
});
