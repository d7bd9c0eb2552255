// A real upstream app for tests: echoes what it received as JSON, can set cookies,
// can hang (for 504), and echoes WebSocket messages.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface Upstream {
  url: string;
  port: number;
  /** Every request the upstream saw, in order. */
  seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url?.startsWith('/hang')) return; // never answers: the gateway's timeout decides
    const headers: Record<string, string | string[]> = { 'content-type': 'application/json' };
    if (req.url?.startsWith('/set-cookie')) headers['set-cookie'] = ['app_cookie=1; Path=/', 'gk_acme=planted; Path=/'];
    res.writeHead(200, headers);
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    ws.send(JSON.stringify({ hello: req.headers['x-auth-user'] ?? null }));
    ws.on('message', (m) => ws.send(String(m)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
