// A tiny HTTP client for tests: node:http so the Host header can be set freely, and a
// cookie jar that keeps exactly what the gateway set.
import http from 'node:http';
import net from 'node:net';
import { parseSetCookie } from './set-cookie.js';

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
  setCookies: string[];
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  /** Form fields: sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
}

export function request(base: string, path: string, opts: RequestOptions = {}): Promise<Response> {
  const u = new URL(base);
  const headers: Record<string, string | string[]> = { ...opts.headers };
  let body = opts.body;
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method: opts.method ?? 'GET', path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: <T>() => JSON.parse(text) as T,
            setCookies: res.headers['set-cookie'] ?? [],
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Cookies by name as a browser for one host would keep them. */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  take(res: Response): this {
    for (const line of res.setCookies) {
      const c = parseSetCookie(line);
      if (c.maxAge === 0 || c.value === '') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return this;
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/**
 * Writes raw bytes on a new socket and reads the whole answer — for requests node:http
 * refuses to send (two Host lines, NUL, absolute-form targets). The request must ask for
 * `Connection: close`: no half-close, as Node's server aborts a request whose client ends
 * its side first.
 */
export function rawRequest(base: string, bytes: string | Buffer): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({
        status: m ? Number(m[1]) : 0,
        head: end < 0 ? text : text.slice(0, end),
        body: end < 0 ? '' : text.slice(end + 4),
      });
    });
    sock.setTimeout(10_000, () => sock.destroy());
    sock.write(bytes);
  });
}
