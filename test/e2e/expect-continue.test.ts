// A pipelined request with `Expect: 100-continue` behind one whose answer is still on its
// way (found by `npm run fuzz`, seed 201242071): Node wrote the interim 100 Continue into
// the queued answer, after its head and before its body, so the client read the body as
// the next answer (Node queues a Buffer answer's head at the front of the connection's
// queue). Each answer must arrive whole and in order, the interim one outside them.
import t from 'tap';
import { rawRequest } from '../helpers/http.js';
import { startTestGateway } from '../helpers/gateway.js';
import { startRawUpstream } from '../helpers/raw-upstream.js';

const upstream = await startRawUpstream();
const g = await startTestGateway({ upstreamUrl: upstream.url });
t.teardown(async () => {
  await g.stop();
  await upstream.close();
});
// The first answer comes late, so the answers after it wait in the connection's queue.
upstream.answer = (rec, res) => {
  if (rec.url !== '/public/a') return false;
  setTimeout(() => res.end(JSON.stringify({ url: rec.url })), 150);
  return true;
};

/** Splits a byte stream of HTTP/1.1 answers (Content-Length or chunked bodies; 1xx have none). */
function answers(raw: string): { status: number; body: string }[] {
  const out: { status: number; body: string }[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`not an answer: ${JSON.stringify(rest.slice(0, 80))}`);
    const head = rest.slice(0, end);
    const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(head.slice(0, 80))}`);
    rest = rest.slice(end + 4);
    let body = '';
    if (/\r\ntransfer-encoding: chunked/i.test(head)) {
      for (;;) {
        const line = rest.indexOf('\r\n');
        const size = Number.parseInt(rest.slice(0, line), 16);
        if (!Number.isFinite(size)) throw new Error(`not a chunk: ${JSON.stringify(rest.slice(0, 40))}`);
        body += rest.slice(line + 2, line + 2 + size);
        rest = rest.slice(line + 2 + size + 2);
        if (size === 0) break;
      }
    } else {
      const len = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
      body = rest.slice(0, len);
      rest = rest.slice(len);
    }
    out.push({ status: Number(m[1]), body });
  }
  return out;
}

t.test('Expect: 100-continue on a pipelined request never lands inside the answer before it', async (t) => {
  const req = (path: string, extra = ''): string =>
    `GET ${path} HTTP/1.1\r\nHost: dashboard.acme.test\r\nAccept: application/json\r\n${extra}`;
  const raw = await rawRequest(
    g.url,
    req('/public/a', '\r\n') +
      req('/public/b', 'Expect: 100-continue\r\n\r\n') +
      req('/public/c', 'Connection: close\r\n\r\n'),
  );
  const all = answers(`${raw.head}\r\n\r\n${raw.body}`);
  const finals = all.filter((a) => a.status >= 200);
  t.same(
    finals.map((a) => a.status),
    [200, 200, 200],
    'three answers, each whole',
  );
  t.same(
    finals.map((a) => (JSON.parse(a.body) as { url: string }).url),
    ['/public/a', '/public/b', '/public/c'],
    'in order, each to its request',
  );
  t.ok(all.filter((a) => a.status === 100).length <= 1, 'at most one interim answer');
});
