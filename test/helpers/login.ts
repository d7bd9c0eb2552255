// Logs in through the real form, as a browser would: GET the form (CSRF nonce + cookie),
// then POST the credentials.
import { CookieJar, request, type Response } from './http.js';

export function formToken(html: string): string {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error('no csrf_token in the login form');
  return m[1];
}

export interface LoginResult {
  jar: CookieJar;
  res: Response;
}

export async function login(
  base: string,
  opts: {
    host?: string;
    slug?: string;
    username: string;
    password: string;
    rememberMe?: boolean;
    rd?: string;
    prompt?: string;
    jar?: CookieJar;
    headers?: Record<string, string>;
  },
): Promise<LoginResult> {
  const host = opts.host ?? 'dashboard.acme.test';
  const slug = opts.slug ?? 'acme';
  const jar = opts.jar ?? new CookieJar();
  const q = new URLSearchParams();
  if (opts.rd) q.set('rd', opts.rd);
  if (opts.prompt) q.set('prompt', opts.prompt);
  const form = await request(base, `/t/${slug}/login?${q}`, {
    headers: { host, accept: 'text/html', cookie: jar.header(), ...opts.headers },
  });
  jar.take(form);
  const fields: Record<string, string> = {
    username: opts.username,
    password: opts.password,
    csrf_token: formToken(form.body),
    rd: opts.rd ?? '/',
  };
  if (opts.rememberMe) fields.remember_me = '1';
  if (opts.prompt) fields.prompt = opts.prompt;
  const res = await request(base, `/t/${slug}/login`, {
    method: 'POST',
    form: fields,
    headers: { host, accept: 'text/html', cookie: jar.header(), ...opts.headers },
  });
  jar.take(res);
  return { jar, res };
}
