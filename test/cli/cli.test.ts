// The command line as a user runs it (SPEC §1): check-config, hash-password, keys
// generate, and start → "listening on" → SIGTERM lets in-flight requests finish → exit 0.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { verifyPassword } from '../../src/session/password.js';
import { request } from '../helpers/http.js';

const CLI = ['--import', 'tsx', 'src/cli.ts'];

function run(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...CLI, ...args], {
      cwd: process.cwd(),
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

t.test('check-config', async (t) => {
  const ok = await run(['check-config', '--config', 'config/gateway.example.yaml']);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /valid/);
  const dir = t.testdir({
    'bad.yaml':
      'server:\n  listen: nowhere\n  publicUrl: ftp://x\ntenants:\n  Bad_Slug: {}\n  acme:\n    settings: { idleTimeout: 5x, bogus: 1 }\n',
  });
  const bad = await run(['check-config', '--config', join(dir, 'bad.yaml')]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^invalid configuration .*bad\.yaml \(ERR_GK_CONFIG\):$/m, 'the code of the whole problem');
  for (const path of [
    'server.listen',
    'server.publicUrl',
    'tenants.Bad_Slug',
    'tenants.acme.settings.idleTimeout',
    'tenants.acme.settings.bogus',
  ]) {
    t.match(bad.stderr, path, `reports ${path}`);
  }
});

t.test('hash-password and keys generate', async (t) => {
  const h = await run(['hash-password'], 'correct horse\n');
  t.equal(h.code, 0);
  const hash = h.stdout.trim().split('\n').pop()!;
  t.match(hash, /^\$scrypt\$ln=15,r=8,p=1\$/);
  t.equal(await verifyPassword('correct horse', hash), true, 'one trailing newline removed');
  t.equal(await verifyPassword('correct horse\n', hash), false);
  const k = await run(['keys', 'generate', '--alg', 'ES256']);
  t.equal(k.code, 0);
  const jwks = JSON.parse(k.stdout) as { keys: { kty: string; crv: string; kid: string; d: string; use: string }[] };
  t.equal(jwks.keys[0]?.kty, 'EC');
  t.equal(jwks.keys[0]?.crv, 'P-256');
  t.ok(jwks.keys[0]?.kid && jwks.keys[0]?.d, 'a private key with a kid');
});

t.test('start, serve, SIGTERM: in-flight requests finish, exit 0', async (t) => {
  let release: () => void = () => {};
  const held = new Promise<void>((r) => (release = r));
  let arrived: () => void = () => {};
  const inFlight = new Promise<void>((r) => (arrived = r));
  const upstream = http.createServer((req, res) => {
    if (req.url === '/slow') {
      arrived();
      void held.then(() => res.end('done'));
    } else res.end('ok');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.teardown(() => upstream.close());
  const port = (upstream.address() as AddressInfo).port;
  const dir = t.testdir({});
  writeFileSync(
    join(dir, 'gw.yaml'),
    `server: { listen: 127.0.0.1:0, publicUrl: "http://gw.cli.test", shutdownTimeout: 10s }\ntenants:\n  c:\n    users: []\n    apps:\n      - { name: a, hosts: [app.cli.test], upstream: "http://127.0.0.1:${port}", routes: [{ path: /**, allow: anonymous }] }\n`,
  );
  const p = spawn(process.execPath, [...CLI, 'start', '--config', join(dir, 'gw.yaml')], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  t.teardown(() => p.kill('SIGKILL'));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    p.on('exit', () => reject(new Error(`exited before listening: ${out}`)));
  });
  t.equal((await request(url, '/x', { headers: { host: 'app.cli.test' } })).body, 'ok');
  const slow = request(url, '/slow', { headers: { host: 'app.cli.test' } });
  await inFlight;
  p.kill('SIGTERM');
  // The listener closes first; the in-flight request is still answered.
  // (bounded: the listener closes on the first event-loop turn after the signal)
  let refused = false;
  for (let i = 0; i < 200 && !refused; i++) {
    refused = await request(url, '/x', { headers: { host: 'app.cli.test' } }).then(
      () => false,
      () => true,
    );
  }
  t.ok(refused, 'new connections are refused during shutdown');
  release();
  const r = await slow;
  t.equal(r.status, 200);
  t.equal(r.body, 'done', 'the in-flight request finished');
  t.equal(await exited, 0, 'exit code 0');
});
