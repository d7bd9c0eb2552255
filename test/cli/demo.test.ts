// The README's first command, as a newcomer runs it: `npm start` builds if needed, starts
// the demo on http://localhost:8080 with the demo app behind it, alice can log in and sees
// who she is; SIGTERM ends it with exit code 0. (Uses the demo's fixed ports 8080 and 3001.)
import { spawn } from 'node:child_process';
import t from 'tap';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';

t.test('npm start: the demo works end to end', async (t) => {
  const p = spawn('npm', ['start'], { env: { ...process.env, LOG_LEVEL: 'warn' }, detached: true });
  t.teardown(() => {
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  let out = '';
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Demo: open http:\/\/localhost:8080\//.test(out)) resolve();
    });
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${out}`)));
  });
  t.match(out, /listening on http:\/\/127\.0\.0\.1:8080/);
  t.match(out, /alice \/ alice-password/, 'the demo credentials are printed');

  const base = 'http://127.0.0.1:8080';
  const first = await request(base, '/', { headers: { host: 'localhost:8080', accept: 'text/html' } });
  t.equal(first.status, 302, 'signed out: sent to the login page');
  t.match(first.headers.location, /^\/t\/demo\/login\?rd=/);
  const { jar, res } = await login(base, { host: 'localhost:8080', slug: 'demo', username: 'alice', password: 'alice-password', rd: 'http://localhost:8080/' });
  t.equal(res.status, 302);
  const page = await request(base, '/', { headers: { host: 'localhost:8080', cookie: jar.header(), accept: 'text/html' } });
  t.equal(page.status, 200);
  t.match(page.body, /Hello, Alice Example/, 'the demo app shows who she is');
  t.match(page.body, /x-auth-user/);

  // SIGTERM to npm itself: npm passes it on to the gateway and exits with its code.
  p.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM: exit code 0');
});
