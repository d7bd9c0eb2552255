// @ts-check
// Serves a JWKS over https on 127.0.0.1 from the bench process itself, with a throwaway
// self-signed certificate (openssl CLI): mod_auth_openidc only fetches https JWKS URLs,
// and the version Debian 12 ships cannot read an EC public key from a PEM file (it parses
// every PEM key as RSA and crashes), so EC keys reach it this way. It fetches the JWKS on
// the first token it checks and caches it (OIDCJWKSRefreshInterval, default an hour).
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { runToEnd, which } from './proc.mjs';

/** Why this cannot run here, or null. */
export function jwksHttpsUnavailable() {
  if (which('openssl')) return null;
  return 'the openssl command is not installed (Debian: `sudo apt-get install -y openssl`): it makes the certificate of the local https JWKS server';
}

/**
 * @param {string} dir  where the certificate and its key are written
 * @param {string} jwks  the JWKS document (public keys)
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function serveJwksHttps(dir, jwks) {
  const keyFile = join(dir, 'jwks-tls.key');
  const certFile = join(dir, 'jwks-tls.crt');
  const r = await runToEnd(
    null,
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      '/CN=127.0.0.1',
      '-days',
      '2',
    ],
    { timeoutMs: 30_000 },
  );
  if (r.code !== 0) throw new Error(`openssl could not make the JWKS server's certificate: ${r.stderr.trim()}`);
  const server = https.createServer({ key: await readFile(keyFile), cert: await readFile(certFile) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
    res.end(jwks);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `https://127.0.0.1:${port}/jwks.json`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
