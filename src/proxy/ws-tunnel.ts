// A WebSocket upgrade to the upstream on node:http: the allow-listed request out, then
// either the upstream's 101 (its Set-Cookie filtered like any answer) and two pipes, or its
// refusal passed on as one response that ends the connection.
//
// Why not http-proxy (which this replaced for upgrades): it writes the upstream's 101
// headers to the client as they came, so an app could plant a gateway cookie through a
// handshake, and it passes a refusal's body de-chunked under its chunked header. Neither
// can be fixed from outside it.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { isGatewaySetCookie } from './gateway-cookies.js';
import { HOP_BY_HOP } from './response-headers.js';

// A refusal is passed on framed by the connection's end: its own length goes too.
const NOT_PASSED_ON = new Set([...HOP_BY_HOP, 'content-length']);

export interface TunnelTarget {
  origin: URL;
  path: string;
  /** The allow-listed request headers, flat (see outgoing-request.ts). */
  headers: string[];
  timeoutMs: number;
}

/** A response head as bytes: the status line, then the kept headers. */
function head(
  status: number,
  message: string,
  raw: readonly string[],
  keep: (name: string, value: string) => boolean,
  extra: string[] = [],
): string {
  let out = `HTTP/1.1 ${status} ${message.replace(/[^\x20-\x7e]/g, '')}\r\n`;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (keep(name.toLowerCase(), value)) out += `${name}: ${value}\r\n`;
  }
  for (let i = 0; i < extra.length; i += 2) out += `${extra[i]!}: ${extra[i + 1]!}\r\n`;
  return `${out}\r\n`;
}

const noGatewayCookie = (name: string, value: string): boolean => name !== 'set-cookie' || !isGatewaySetCookie(value);

/**
 * Opens the tunnel. `onError` is called (once) when the upstream cannot be reached or times
 * out before answering: the caller answers 502/504 on the client socket.
 */
export function openTunnel(
  client: Duplex,
  clientHead: Buffer,
  t: TunnelTarget,
  onError: (err: Error & { code?: string }) => void,
): void {
  const mod = t.origin.protocol === 'https:' ? https : http;
  let settled = false;
  const fail = (err: Error & { code?: string }): void => {
    if (settled) return;
    settled = true;
    onError(err);
  };
  const up = mod.request({
    host: t.origin.hostname.replace(/^\[|\]$/g, ''),
    port: t.origin.port || (t.origin.protocol === 'https:' ? 443 : 80),
    method: 'GET',
    path: t.path,
    headers: t.headers,
    agent: false,
    timeout: t.timeoutMs,
  });
  up.on('timeout', () => up.destroy(Object.assign(new Error('upstream handshake timed out'), { code: 'ETIMEDOUT' })));
  up.on('error', fail);
  client.on('close', () => up.destroy());

  up.on('upgrade', (res: http.IncomingMessage, upstream: Duplex, upstreamHead: Buffer) => {
    settled = true;
    up.setTimeout(0);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.write(head(101, 'Switching Protocols', res.rawHeaders, noGatewayCookie));
    if (upstreamHead.length > 0) client.write(upstreamHead);
    if (clientHead.length > 0) upstream.write(clientHead);
    upstream.pipe(client);
    client.pipe(upstream);
  });

  // The app refused the upgrade: its answer goes to the client, framed by the connection's end.
  up.on('response', (res: http.IncomingMessage) => {
    settled = true;
    up.setTimeout(0);
    const keep = (name: string, value: string): boolean => !NOT_PASSED_ON.has(name) && noGatewayCookie(name, value);
    client.write(head(res.statusCode ?? 502, res.statusMessage ?? '', res.rawHeaders, keep, ['connection', 'close']));
    res.on('error', () => client.destroy());
    res.pipe(client);
  });
  up.end();
}
