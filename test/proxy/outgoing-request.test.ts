// The upstream request built by allow-list (SPEC §3.4), from real parsed requests.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { canonicalName, framingError, outgoingHeaders } from '../../src/proxy/outgoing-request.js';

const open: { server: http.Server; client: net.Socket }[] = [];
t.teardown(() => {
  for (const o of open) {
    o.client.destroy();
    o.server.closeAllConnections();
    o.server.close();
  }
});

/** Parses raw request bytes with Node's own server parser and hands over the IncomingMessage (its connection stays open). */
async function parsed(bytes: string): Promise<http.IncomingMessage> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const got = new Promise<http.IncomingMessage>((resolve, reject) => {
    server.once('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      resolve(req);
      res.end();
    });
    server.once('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      resolve(req);
      socket.destroy();
    });
    server.once('clientError', (err) => reject(err));
  });
  const c = net.connect((server.address() as AddressInfo).port, '127.0.0.1', () => c.write(bytes));
  c.on('error', () => {});
  open.push({ server, client: c });
  return got;
}

const pairs = (list: string[]): [string, string][] =>
  list.flatMap((v, i) => (i % 2 === 0 ? [[v.toLowerCase(), list[i + 1]!] as [string, string]] : []));
const names = (list: string[]): string[] => pairs(list).map(([n]) => n);

t.test('canonical names: lower-case, _ read as -', async (t) => {
  t.equal(canonicalName('X_Auth_User'), 'x-auth-user');
  t.equal(canonicalName('Content-Length'), 'content-length');
});

t.test('Connection may not name framing, Host or a header the gateway sets', async (t) => {
  for (const c of [
    'host',
    'Content-Length',
    'transfer-encoding',
    'X-Auth-User',
    'x_auth_roles',
    'X-Forwarded-For',
    'x-forwarded-prefix',
    'Forwarded',
    'X-Real-IP',
    'x-request-id',
    'close, Host',
  ]) {
    const req = await parsed(`GET / HTTP/1.1\r\nHost: a\r\nConnection: ${c}\r\n\r\n`);
    t.match(framingError(req, false), /^Connection names /, `Connection: ${c}`);
  }
  t.equal(
    framingError(await parsed('GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Custom\r\n\r\n'), false),
    null,
  );
});

t.test('bodies: chunked only as the one transfer coding; upgrades are GET without a body', async (t) => {
  t.equal(
    framingError(await parsed('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'), false),
    null,
  );
  t.equal(
    framingError(
      await parsed('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'),
      false,
    ),
    'unsupported Transfer-Encoding',
  );
  t.equal(
    framingError(await parsed('DELETE / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc'), false),
    null,
    'a DELETE with a body is forwarded framed',
  );
  const ws =
    'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
  t.equal(framingError(await parsed(`GET /s HTTP/1.1\r\nHost: a\r\n${ws}\r\n`), true), null);
  t.equal(
    framingError(await parsed(`POST /s HTTP/1.1\r\nHost: a\r\n${ws}Content-Length: 0\r\n\r\n`), true),
    'upgrade with a method other than GET',
  );
  t.equal(
    framingError(await parsed(`GET /s HTTP/1.1\r\nHost: a\r\n${ws}Content-Length: 5\r\n\r\nhello`), true),
    'upgrade with a body',
  );
  t.equal(
    framingError(await parsed('GET /s HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n'), true),
    'upgrade to something other than websocket',
  );
});

t.test("headers: the removed families from an untrusted peer, the gateway's own added", async (t) => {
  const req = await parsed(
    'DELETE /x HTTP/1.1\r\nHost: app.test\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X-Foo\r\n' +
      'Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nProxy-Authorization: Basic eA==\r\n' +
      'X-Auth-User: u-alice\r\nX_Auth_Roles: admin\r\nx-auth-jwt: forged\r\n' +
      'Forwarded: for=1.2.3.4\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Port: 1\r\nX-Forwarded-Prefix: /admin\r\nX_Forwarded_Host: evil\r\nX-Real-IP: 1.2.3.4\r\n' +
      'True-Client-IP: 1.2.3.4\r\nX-Client-IP: 1.2.3.4\r\nX-Cluster-Client-IP: 1\r\nCF-Connecting-IP: 1\r\nFastly-Client-IP: 1\r\n' +
      'X-Original-URL: /admin\r\nX-Original-URI: /admin\r\nX-Rewrite-URL: /admin\r\nX-Original-Method: DELETE\r\nX-HTTP-Method-Override: DELETE\r\nX-HTTP-Method: PUT\r\nX-Method-Override: PUT\r\nX_HTTP_Method_Override: PUT\r\n' +
      'Cookie: a=1; gk_acme=s.x; __Host-gk_globex=y\r\nX-Request-Id: rid-1\r\nAccept: */*\r\nX-App: kept\r\nX-App: twice\r\n\r\n0\r\n\r\n',
  );
  const out = outgoingHeaders(req, { trustedPeer: false, identity: null, upgrade: false });
  t.same(names(out), [
    'accept',
    'x-app',
    'x-app',
    'host',
    'cookie',
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-forwarded-host',
    'x-request-id',
  ]);
  const h = Object.fromEntries(pairs(out).filter(([n]) => n !== 'x-app'));
  t.equal(h.host, 'app.test');
  t.equal(h.cookie, 'a=1');
  t.equal(h['x-forwarded-for'], '127.0.0.1');
  t.equal(h['x-forwarded-proto'], 'http');
  t.equal(h['x-forwarded-host'], 'app.test');
  t.equal(h['x-request-id'], 'rid-1');
});

t.test('from a trusted proxy: its forwarding headers are believed and extended', async (t) => {
  const req = await parsed(
    'GET /x HTTP/1.1\r\nHost: app.test\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: public.test\r\nX-Forwarded-Prefix: /p\r\nX-Real-IP: 203.0.113.9\r\nX-Original-URL: /admin\r\nContent-Length: 2\r\n\r\nhi',
  );
  const h = Object.fromEntries(pairs(outgoingHeaders(req, { trustedPeer: true, identity: null, upgrade: false })));
  t.equal(h['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
  t.equal(h['x-forwarded-proto'], 'https');
  t.equal(h['x-forwarded-host'], 'public.test');
  t.equal(h['x-forwarded-prefix'], '/p');
  t.equal(h['x-real-ip'], '203.0.113.9');
  t.equal(h['x-original-url'], undefined, 'rewrites are removed from every peer');
  t.equal(h['content-length'], '2', 'the gateway writes the length it forwards');
});

t.test('identity headers come only from the gateway; an upgrade gets its own Connection/Upgrade', async (t) => {
  const req = await parsed(
    'GET /s HTTP/1.1\r\nHost: app.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Auth-User: u-alice\r\n\r\n',
  );
  const identity = {
    userId: 'u-bob',
    email: 'b@x',
    name: 'Bob\r\nX-Evil: 1',
    roles: ['r1'],
    tenant: 'acme',
    sessionId: 'sess_1',
    authTime: 1_000_000,
    clientId: null,
    scope: null,
  };
  const out = outgoingHeaders(req, { trustedPeer: false, identity, upgrade: true });
  const h = Object.fromEntries(pairs(out));
  t.equal(h['x-auth-user'], 'u-bob');
  t.equal(h['x-auth-name'], encodeURIComponent('Bob\r\nX-Evil: 1'), 'CR/LF never raw');
  t.equal(h['x-auth-time'], '1000');
  t.equal(h.connection, 'upgrade');
  t.equal(h.upgrade, 'websocket');
  t.equal(h['sec-websocket-key'], 'dGhlIHNhbXBsZSBub25jZQ==');
  t.equal(names(out).filter((n) => n === 'x-auth-user').length, 1, 'exactly one X-Auth-User');
});

t.test(
  'the per-name rules and the last Connection value are cached, never the outcome of another request',
  async (t) => {
    // Over the rule cache's bound with client-chosen names: it starts over, and the forged
    // identity and forwarding headers sent after the flood are still removed.
    const flood = Array.from({ length: 600 }, (_, i) => `X-N${i}: v\r\n`).join('');
    const first = await parsed(
      `GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n${flood}\r\n`,
    );
    const out1 = names(outgoingHeaders(first, { trustedPeer: false, identity: null, upgrade: false }));
    t.equal(out1.filter((n) => n.startsWith('x-n')).length, 600, 'every custom header forwarded');
    t.notOk(out1.includes('x-hop'), 'the header Connection names is removed');
    t.equal(framingError(first, false), null);
    // Same names, other spellings, another Connection value: each decided on its own.
    const second = await parsed(
      'GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Other\r\nX-Hop: 2\r\nX-Other: 1\r\nx_auth_user: forged\r\nX-Auth-User: forged\r\nX-Real-IP: 1.2.3.4\r\n\r\n',
    );
    const out2 = names(outgoingHeaders(second, { trustedPeer: false, identity: null, upgrade: false }));
    t.ok(out2.includes('x-hop'), 'X-Hop is kept now that Connection no longer names it');
    t.notOk(out2.includes('x-other'));
    t.notOk(out2.includes('x-auth-user') || out2.includes('x_auth_user'), 'forged identity removed');
    t.notOk(out2.includes('x-real-ip'), 'untrusted peer: forwarding header removed');
    // The same name from a trusted proxy: the cached rule does not decide the trust.
    const out3 = names(outgoingHeaders(second, { trustedPeer: true, identity: null, upgrade: false }));
    t.ok(out3.includes('x-real-ip'), 'trusted peer: forwarding header kept');
    t.match(
      framingError(await parsed('GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Host\r\n\r\n'), false),
      /Host/i,
    );
    t.equal(framingError(second, false), null, 'the previous value still gives its own answer');
  },
);
