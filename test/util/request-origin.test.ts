// The origin a request was made to: X-Forwarded-Proto only from trusted peers and only
// http or https (a trusted proxy that passes a client's value on cannot make it anything else).
import type { IncomingMessage } from 'node:http';
import t from 'tap';
import { requestOrigin } from '../../src/util/request-origin.js';

const req = (headers: Record<string, string>, encrypted = false): IncomingMessage =>
  ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;

t.test('scheme and host', async (t) => {
  t.equal(requestOrigin(req({ host: 'App.Acme.Test:8080' }), false), 'http://app.acme.test:8080');
  t.equal(requestOrigin(req({ host: 'a.test' }, true), false), 'https://a.test');
  t.equal(
    requestOrigin(req({ host: 'a.test', 'x-forwarded-proto': 'https' }), true),
    'https://a.test',
    'believed from a trusted peer',
  );
  t.equal(
    requestOrigin(req({ host: 'a.test', 'x-forwarded-proto': 'https' }), false),
    'http://a.test',
    'not from anyone else',
  );
  t.equal(
    requestOrigin(req({ host: 'a.test', 'x-forwarded-proto': 'HTTPS, http' }), true),
    'https://a.test',
    'the first hop, case folded',
  );
  for (const odd of ['javascript', 'https://evil.test', '', 'ftp'])
    t.equal(
      requestOrigin(req({ host: 'a.test', 'x-forwarded-proto': odd }), true),
      'http://a.test',
      `"${odd}" is not a scheme we take`,
    );
});
