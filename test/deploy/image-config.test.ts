// deploy/image/gateway.yaml, the image's default configuration (`demo --config …`): it passes
// check-config, listens on every interface, and `demo` starts the built-in demo app at the
// configured upstream so a login reaches it. Ports are moved to free ones here (the image
// uses 8080 and 3001 inside its own network namespace; npm run test:image runs it as is).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli, startCli } from '../helpers/cli-process.js';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { freePort } from '../helpers/net.js';

const FILE = new URL('../../deploy/image/gateway.yaml', import.meta.url);
const text = readFileSync(FILE, 'utf8');

t.test('check-config passes; every interface; the demo upstream on the loopback', async (t) => {
  const r = await runCli(['check-config', '--config', FILE.pathname]);
  t.equal(r.code, 0, r.out);
  t.match(text, /^ {2}listen: 0\.0\.0\.0:8080/m, 'reachable through docker run -p 8080:8080');
  t.match(text, /upstream: http:\/\/127\.0\.0\.1:3001/, 'the demo app inside the same container');
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  t.match(dockerfile, /^CMD \["demo", "--config", "\/app\/deploy\/image\/gateway\.yaml"\]$/m, 'the default command');
  t.match(dockerfile, /^COPY deploy\/image \.\/deploy\/image$/m);
});

t.test('demo --config: the gateway and the demo app, a login, SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gk-image-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const appPort = await freePort();
  const local = text
    .replace('listen: 0.0.0.0:8080', 'listen: 127.0.0.1:0')
    .replace('http://127.0.0.1:3001', `http://127.0.0.1:${appPort}`);
  t.not(local, text);
  const path = join(dir, 'gateway.yaml');
  writeFileSync(path, local);
  const gw = await startCli(['demo', '--config', path]);
  t.teardown(() => gw.terminate());
  t.match(gw.output(), new RegExp(`demo app listening on http://127\\.0\\.0\\.1:${appPort}`));
  const host = 'localhost:8080';
  const { jar, res } = await login(gw.url, { host, slug: 'demo', username: 'alice', password: 'alice-password' });
  t.equal(res.status, 302);
  const api = await request(gw.url, '/api/me', { headers: { host, cookie: jar.header() } });
  t.equal(api.status, 200);
  t.equal(api.json<{ headers: Record<string, string> }>().headers['x-auth-user'], 'u-alice');
  t.equal(await gw.terminate(), '0');
});
