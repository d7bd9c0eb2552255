// deploy/docker-compose.yml and deploy/compose/gateway.yaml, without a Docker engine: the
// gateway service's own command, volumes and environment, with the compose network's names
// pointed at what this test starts (a real redis-server, the built-in demo app on loopback).
// The "keys" service's step (`keys generate` into the keys volume), then `check-config` as a
// pre-deploy gate, then `start`: a login, the identity at the app, the session in Redis, and
// SIGTERM ending it cleanly.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { createDemoApp } from '../../src/demo/demo-app.js';
import { runCli, startCli } from '../helpers/cli-process.js';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { redisCli, startRedis } from '../helpers/redis.js';

type Service = { command?: string[]; volumes?: string[]; environment?: Record<string, string>; entrypoint?: unknown };
const compose = parse(readFileSync(new URL('../../deploy/docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, Service>;
};
const gateway = compose.services.gateway!;
const configText = readFileSync(new URL('../../deploy/compose/gateway.yaml', import.meta.url), 'utf8');

const dir = mkdtempSync(join(tmpdir(), 'gk-compose-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const redis = await startRedis();
t.teardown(redis.stop);
const app = createDemoApp({ tenantSlug: 'demo' });
await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
t.teardown(() => app.close());
const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;

/** A container path of the gateway service → the folder standing in for its volume here. */
const mounts = new Map<string, string>();
for (const v of gateway.volumes ?? []) {
  const [source, target] = v.split(':') as [string, string];
  const local = join(dir, source.replace(/[^a-z0-9]/gi, '_'));
  mkdirSync(local, { recursive: true });
  mounts.set(target, local);
}
/** Replaces `from` (which must occur) in the config text: the file changing breaks the test. */
function point(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`deploy/compose/gateway.yaml no longer contains ${from}`);
  return text.replaceAll(from, to);
}
let text = configText;
// The compose network: service names and container ports → what this test runs.
text = point(text, 'redis://redis:6379/0', `${redis.url}/0`);
text = point(text, 'http://app:3001', appUrl);
text = point(text, 'listen: 0.0.0.0:8080', 'listen: 127.0.0.1:0');
text = point(text, 'listen: 0.0.0.0:9090', 'listen: 127.0.0.1:0');
// The volumes.
for (const [target, local] of mounts) if (text.includes(target)) text = point(text, target, local);
const etc = mounts.get('/etc/gatekeeper');
const keysDir = mounts.get('/var/lib/gatekeeper/keys');
if (!etc || !keysDir) throw new Error('the gateway service no longer mounts /etc/gatekeeper and the keys volume');
const configPath = join(etc, 'gateway.yaml');
writeFileSync(configPath, text);
const args = (gateway.command ?? []).map((a) => (a === '/etc/gatekeeper/gateway.yaml' ? configPath : a));

t.test('the compose file: a keys service fills the volume the gateway reads', async (t) => {
  t.ok(compose.services.keys, 'a keys service');
  t.match(JSON.stringify(compose.services.keys!.entrypoint), /keys generate/);
  t.same(gateway.command, ['start', '--config', '/etc/gatekeeper/gateway.yaml'], 'start, not the image demo');
  t.match(configText, /file: \/var\/lib\/gatekeeper\/keys\/keys\.json/, 'the config reads the keys volume');
});

t.test('keys generate, then check-config passes', async (t) => {
  const keys = await runCli(['keys', 'generate']);
  t.equal(keys.code, 0);
  writeFileSync(join(keysDir, 'keys.json'), keys.out, { mode: 0o600 });
  const check = await runCli(['check-config', '--config', configPath]);
  t.equal(check.code, 0, check.out);
});

t.test('start: login, identity at the app, the session in Redis, SIGTERM', async (t) => {
  const gw = await startCli(args, { ...gateway.environment });
  t.teardown(() => gw.terminate());
  const host = 'localhost:8080'; // what the browser sends (publicUrl)
  const { jar, res } = await login(gw.url, { host, slug: 'demo', username: 'alice', password: 'alice-password' });
  t.equal(res.status, 302, 'the form signs in');
  const page = await request(gw.url, '/', { headers: { host, accept: 'text/html', cookie: jar.header() } });
  t.equal(page.status, 200);
  t.match(page.body, /Hello, Alice Example/, 'the demo app got the identity');
  const keys = await redisCli(redis.port, '--scan', '--pattern', 'gk:*');
  t.ok(keys.trim().length > 0, 'the gateway keeps its state in this Redis');
  t.equal(await gw.terminate(), '0', 'SIGTERM → exit 0');
  t.notMatch(gw.output(), /ephemeral/i, 'no ephemeral key: the keys volume is used');
});
