// An upstream app for desync tests: a raw TCP listener that records exactly the bytes the
// gateway sends on each connection, and hands each connection to an in-process node:http
// server (Node's own llhttp parser, default strict settings) through a stream pair, so a
// test learns how many requests an app would parse from those bytes, with which method,
// path, headers and body. Every request is answered with a body that names it.
import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

/** One request as the app's parser saw it. */
export interface ParsedRequest {
  /** Order of parsing over the whole upstream (0, 1, …): the answer carries it. */
  n: number;
  /** The upstream connection it came on, and its index on that connection. */
  conn: number;
  i: number;
  method: string;
  url: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  /** The body the app read (complete once `done`). */
  body: Buffer;
  done: boolean;
  /** The connection ended before the body did (the gateway gave the request up). */
  aborted: boolean;
  /** Arrived as an upgrade (a WebSocket handshake or another Upgrade). */
  upgrade: boolean;
  /** The X-Request-Id the app received: the gateway's id for the request it decided on. */
  rid: string | undefined;
}

export interface UpstreamConnection {
  id: number;
  chunks: Buffer[];
  /** Everything received on this connection so far. */
  bytes(): Buffer;
  closed: boolean;
}

/** What the answer hook may do: write its own response (return true) or leave the default. */
export type AnswerHook = (rec: ParsedRequest, res: http.ServerResponse) => boolean;

export interface RawUpstream {
  url: string;
  port: number;
  requests: ParsedRequest[];
  connections: UpstreamConnection[];
  /**
   * Bytes the app's parser refused (HPE_* codes): the gateway sent something that is not
   * HTTP. A connection closed in the middle of a message (HPE_INVALID_EOF_STATE) is not
   * listed: that is the gateway giving a request up, which `aborted` records.
   */
  parseErrors: { conn: number; code: string }[];
  /** Replaces the default answer for the requests it returns true for. */
  answer: AnswerHook | null;
  /** Headers added to the 101 of WebSocket handshakes (e.g. a Set-Cookie). */
  upgradeHeaders: string[];
  /**
   * Resolves once no byte has reached the upstream for `quietMs` and the parser has read
   * everything that arrived. An absence (no smuggled request follows) cannot be awaited as
   * an event: the bytes of a smuggled request may still be in flight when the client has
   * its answer, so "settled" is "nothing more came for a while".
   */
  settled(quietMs?: number): Promise<void>;
  /** Index to pass to `since` to get the requests parsed after this point. */
  mark(): number;
  since(mark: number): ParsedRequest[];
  close(): Promise<void>;
}

/** The default answer's JSON body: which parsed request this is. */
export interface AnswerBody {
  n: number;
  conn: number;
  i: number;
  method: string;
  url: string;
  rid: string | null;
  xAuthUser: string | null;
}

/** A Duplex the HTTP server reads the connection's bytes from and writes its answers through. */
function pairFor(sock: net.Socket): Duplex {
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      if (sock.destroyed || !sock.writable) return cb();
      sock.write(chunk, () => cb());
    },
    final(cb) {
      sock.end();
      cb();
    },
    destroy(err, cb) {
      sock.destroy();
      cb(err);
    },
  });
  // What node:http and ws call on a real socket.
  const self = d as Duplex & Record<string, unknown>;
  self.setTimeout = () => d;
  self.setNoDelay = () => d;
  self.setKeepAlive = () => d;
  self.remoteAddress = sock.remoteAddress;
  self.remotePort = sock.remotePort;
  return d;
}

export async function startRawUpstream(): Promise<RawUpstream> {
  const requests: ParsedRequest[] = [];
  const connections: UpstreamConnection[] = [];
  const parseErrors: RawUpstream['parseErrors'] = [];
  const connOf = new WeakMap<Duplex, UpstreamConnection>();
  const perConn = new Map<number, number>();
  const pairs = new Set<Duplex>();
  const sockets = new Set<net.Socket>();
  let lastByteAt = Date.now();

  const app = http.createServer({ keepAliveTimeout: 30_000 });
  const wss = new WebSocketServer({ noServer: true });

  function record(req: http.IncomingMessage, upgrade: boolean): ParsedRequest {
    const conn = connOf.get(req.socket as Duplex)?.id ?? -1;
    const i = perConn.get(conn) ?? 0;
    perConn.set(conn, i + 1);
    const rid = req.headers['x-request-id'];
    const rec: ParsedRequest = {
      n: requests.length,
      conn,
      i,
      method: req.method ?? '',
      url: req.url ?? '',
      httpVersion: req.httpVersion,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.alloc(0),
      done: false,
      aborted: false,
      upgrade,
      rid: typeof rid === 'string' ? rid : undefined,
    };
    requests.push(rec);
    return rec;
  }

  function bodyOf(rec: ParsedRequest): string {
    const user = rec.headers['x-auth-user'];
    const b: AnswerBody = {
      n: rec.n,
      conn: rec.conn,
      i: rec.i,
      method: rec.method,
      url: rec.url,
      rid: rec.rid ?? null,
      xAuthUser: typeof user === 'string' ? user : null,
    };
    return JSON.stringify(b);
  }

  const upstream: RawUpstream = {
    url: '',
    port: 0,
    requests,
    connections,
    parseErrors,
    answer: null,
    upgradeHeaders: [],
    async settled(quietMs = 40) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const drained = [...pairs].every((d) => d.readableLength === 0);
        if (drained && Date.now() - lastByteAt >= quietMs) return;
        if (Date.now() > deadline) throw new Error('raw upstream: still receiving after 5 s');
        await new Promise((r) => setTimeout(r, Math.max(5, quietMs - (Date.now() - lastByteAt))));
      }
    },
    mark: () => requests.length,
    since: (m) => requests.slice(m),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        for (const s of sockets) s.destroy();
        front.close(() => resolve());
      }),
  };

  app.on('request', (req, res) => {
    const rec = record(req, false);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('close', () => {
      if (!rec.done) rec.aborted = true;
    });
    req.on('end', () => {
      rec.body = Buffer.concat(chunks);
      rec.done = true;
      if (upstream.answer?.(rec, res)) return;
      const body = bodyOf(rec);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-upstream-n': String(rec.n),
      });
      res.end(body);
    });
  });

  app.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const rec = record(req, true);
    rec.done = true;
    if (String(req.headers.upgrade).toLowerCase() === 'websocket') {
      const onHeaders = (headers: string[]): void => {
        headers.push(...upstream.upgradeHeaders, `x-upstream-n: ${rec.n}`);
      };
      wss.once('headers', onHeaders);
      wss.handleUpgrade(req, socket, head, (ws) => {
        wss.off('headers', onHeaders);
        // Bytes after the handshake that are not WebSocket frames (a pipelined request) close it.
        ws.on('error', () => ws.terminate());
        ws.send(JSON.stringify({ hello: req.headers['x-auth-user'] ?? null, n: rec.n }));
        ws.on('message', (m: Buffer) => ws.send(String(m)));
      });
      return;
    }
    // Any other Upgrade: an app without that protocol answers it as a plain request and
    // keeps reading the connection as HTTP (node:http does so when it has no 'upgrade'
    // listener), so the bytes after it are parsed again as a new connection would be.
    const body = bodyOf(rec);
    socket.write(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-upstream-n: ${rec.n}\r\n\r\n${body}`,
    );
    if (head.length > 0) socket.unshift(head);
    app.emit('connection', socket);
  });

  app.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const conn = connOf.get(socket)?.id ?? -1;
    if (err.code?.startsWith('HPE_') && err.code !== 'HPE_INVALID_EOF_STATE')
      parseErrors.push({ conn, code: err.code });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  });

  const front = net.createServer({ allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    const conn: UpstreamConnection = {
      id: connections.length,
      chunks: [],
      bytes: () => Buffer.concat(conn.chunks),
      closed: false,
    };
    connections.push(conn);
    const d = pairFor(sock);
    connOf.set(d, conn);
    pairs.add(d);
    sock.on('data', (c: Buffer) => {
      lastByteAt = Date.now();
      conn.chunks.push(c);
      d.push(c);
    });
    sock.on('end', () => d.push(null));
    sock.on('error', () => {});
    sock.on('close', () => {
      conn.closed = true;
      sockets.delete(sock);
      pairs.delete(d);
      d.destroy();
    });
    app.emit('connection', d);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  upstream.port = (front.address() as AddressInfo).port;
  upstream.url = `http://127.0.0.1:${upstream.port}`;
  return upstream;
}
