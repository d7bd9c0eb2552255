// What reaches the client of the upstream's response head (SPEC §3.4).
import t from 'tap';
import { clientResponseHeaders } from '../../src/proxy/response-headers.js';

const raw = (...pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p, 'latin1'));

t.test('hop-by-hop headers and those the upstream Connection names are dropped', async (t) => {
  const out = clientResponseHeaders(
    raw(
      'Content-Type',
      'text/plain',
      'Connection',
      'keep-alive, X-Internal',
      'Keep-Alive',
      'timeout=5',
      'Transfer-Encoding',
      'chunked',
      'X-Internal',
      'secret',
      'Upgrade',
      'h2c',
      'Trailer',
      'X-T',
      'X-App',
      '1',
    ),
  );
  t.same({ ...out }, { 'content-type': 'text/plain', 'x-app': '1' });
});

t.test('Set-Cookie: gateway cookie names dropped, others kept in order', async (t) => {
  const out = clientResponseHeaders(
    raw(
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      '=gk_acme=planted',
      'Set-Cookie',
      '__Host-gk_acme=x',
      'Set-Cookie',
      'gk_acme =y',
      'Set-Cookie',
      'b=2',
    ),
  );
  t.same({ ...out }, { 'set-cookie': ['a=1', 'b=2'] }, 'the kept ones stay separate lines, in order');
});

t.test('names in any case: well-known and unknown ones lower-cased, the rules applied to each', async (t) => {
  const out = clientResponseHeaders(
    raw(
      'CONTENT-TYPE',
      'text/html',
      'SET-COOKIE',
      'gk_acme=planted',
      'set-Cookie',
      'app=1',
      'CONNECTION',
      'X-Private',
      'x-PRIVATE',
      'secret',
      'X-Some-Unknown-Name',
      'v',
      'TRANSFER-ENCODING',
      'chunked',
    ),
  );
  t.same({ ...out }, { 'content-type': 'text/html', 'set-cookie': 'app=1', 'x-some-unknown-name': 'v' });
});
