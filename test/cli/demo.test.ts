// The README's first command, as a newcomer runs it: `npm start` builds if needed, starts
// the demo on http://localhost:8080 with the demo app behind it, alice can log in and sees
// who she is; SIGTERM ends it with exit code 0. (Uses the demo's fixed ports 8080 and 3001.)
import { spawn } from 'node:child_process';
import t from 'tap';
import { request, type Response } from '../helpers/http.js';
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
  const { jar, res } = await login(base, {
    host: 'localhost:8080',
    slug: 'demo',
    username: 'alice',
    password: 'alice-password',
    rd: 'http://localhost:8080/',
  });
  t.equal(res.status, 302);
  const page = await request(base, '/', {
    headers: { host: 'localhost:8080', cookie: jar.header(), accept: 'text/html' },
  });
  t.equal(page.status, 200);
  t.match(page.body, /Hello, Alice Example/, 'the demo app shows who she is');
  t.match(page.body, /x-auth-user/);

  // The SSO demo tenant: its users sign in at the demo's own OpenID Provider (127.0.0.1:3002).
  t.match(out, /SSO demo: open http:\/\/127\.0\.0\.1:8080\/ .*carol/, 'the SSO demo is announced');
  const sso = await ssoSignIn('carol');
  t.equal(sso.status, 200, 'signed in through the demo IdP, back on the app');
  t.match(sso.body, /Hello, Carol Admin/);
  t.match(sso.body, /demo-idp:carol/, 'X-Auth-User is {provider}:{sub}');
  t.match(
    sso.body,
    /<code>x-auth-roles<\/code><\/td><td><code>admin<\/code>/,
    'the IdP group demo-admins is mapped to the role admin',
  );

  // SIGTERM to npm itself: npm passes it on to the gateway and exits with its code.
  p.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM: exit code 0');
});

/**
 * A browser's walk through the SSO demo, by hand: the app → the gateway's login page → its
 * "Sign in with Demo IdP" button → the IdP's login and consent forms → the callback → the
 * app. One cookie jar: every hop is on 127.0.0.1 (cookies do not care about ports).
 */
async function ssoSignIn(login: string): Promise<Response> {
  const jar = new Map<string, string>();
  const send = async (url: string, form?: Record<string, string>): Promise<Response> => {
    const u = new URL(url);
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await request(u.origin, u.pathname + u.search, {
      method: form ? 'POST' : 'GET',
      headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) },
      ...(form ? { form } : {}),
    });
    for (const line of res.setCookies) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      if (/max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, pair!.slice(eq + 1));
    }
    return res;
  };
  let url = 'http://127.0.0.1:8080/';
  for (let hop = 0; hop < 15; hop++) {
    const res = await send(url);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.location!, url).href;
      continue;
    }
    const button = /href="([^"]*\/t\/sso\/login\/demo-idp[^"]*)"/.exec(res.body);
    const form = /<form[^>]*action="([^"]+)"/.exec(res.body);
    if (button && url.includes('/t/sso/login')) url = new URL(button[1]!.replace(/&amp;/g, '&'), url).href;
    else if (form && /name="login"/.test(res.body))
      url = await submit(new URL(form[1]!, url).href, { prompt: 'login', login, password: 'any' });
    else if (form && /name="prompt" value="consent"/.test(res.body))
      url = await submit(new URL(form[1]!, url).href, { prompt: 'consent' });
    else return res;
  }
  throw new Error('SSO sign-in did not end within 15 hops');

  async function submit(action: string, form: Record<string, string>): Promise<string> {
    const res = await send(action, form);
    if (!res.headers.location) throw new Error(`IdP form answered ${res.status}`);
    return new URL(res.headers.location, action).href;
  }
}
