// @ts-check
/* global Buffer, URL */
// One-off HTTP requests for the bench's setup (login, probes, token issuance): a fresh
// connection each, bounded by a timeout.
import http from 'node:http';

/** @typedef {{ status: number, headers: http.IncomingHttpHeaders, body: string }} Response */

/**
 * @param {string} url
 * @param {{ method?: string, headers?: http.OutgoingHttpHeaders, body?: string, timeoutMs?: number }} [opts]
 * @returns {Promise<Response>}
 */
export function request(url, opts = {}) {
  const u = new URL(url);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** name=value pairs of the response's Set-Cookie headers (attributes dropped). @param {Response} res */
export function setCookies(res) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const line of res.headers['set-cookie'] ?? []) {
    const pair = line.split(';', 1)[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** @param {Record<string, string>} jar */
export function cookieHeader(jar) {
  return Object.entries(jar)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}
