// server.workers: 2 as an operator runs it (issue 16 item 6): `start --config` in a child
// process (the cluster primary) with two workers on one port, a private redis-server and a
// real upstream. Which worker served a request is read from the access log's `worker`
// field (matched by the X-Request-Id the test sends), and for WebSockets from each worker's
// own session-read counter (its ops socket). Checked: both workers serve; a session made on one
// is valid on the other; a logout on one is refused on the other on the very next request,
// with the other's read cache warm; a revocation closes WebSockets on both; the ops
// listener's /metrics sums the workers; /readyz asks them; a killed worker is replaced;
// SIGHUP reloads both; SIGTERM drains an in-flight request and exits 0; and check-config
// and start refuse two workers without Redis.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import WebSocket from 'ws';
import { generateJwks } from '../../src/tokens/keys.js';
import { runCli } from '../helpers/cli-process.js';
import { testConfigYaml, PASSWORDS } from '../helpers/gateway.js';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startRedis } from '../helpers/redis.js';
import { startUpstream } from '../helpers/upstream.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DASH = 'dashboard.acme.test';

const redis = await startRedis();
t.teardown(() => redis.stop());
const upstream = await startUpstream();
t.teardown(() => upstream.close());
const dir = await mkdtemp(join(tmpdir(), 'gk-workers-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
await writeFile(join(dir, 'keys.json'), JSON.stringify(await generateJwks('ES256')));

/** The shared test configuration with `workers` and, optionally, Redis. */
async function configFile(name: string, workers: number, withRedis: boolean): Promise<string> {
  const store = withRedis
    ? `store:\n  redis: ${redis.url}/0\nkeys: { file: ${join(dir, 'keys.json')}, algorithm: ES256 }\n`
    : '';
  const yaml = (await testConfigYaml(upstream.url, { opsListen: '127.0.0.1:0', storeYaml: store })).replace(
    '  shutdownTimeout: 2s\n',
    `  shutdownTimeout: 2s\n  workers: ${workers}\n`,
  );
  const path = join(dir, name);
  await writeFile(path, yaml);
  return path;
}

interface Primary {
  url: string;
  ops: string;
  pid: number;
  output(): string;
  /** The first log line from `since` on that satisfies `match`, parsed (waits for it). */
  line(match: (l: Record<string, unknown>) => boolean, since?: number): Promise<Record<string, unknown>>;
  mark(): number;
  signal(s: NodeJS.Signals): void;
  exited: Promise<string>;
}

/** `start --config FILE` through tsx, LOG_LEVEL=info (access lines), TMPDIR ours (the workers' ops sockets). */
async function startPrimary(config: string): Promise<Primary> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}src/main.ts`, 'start', '--config', config], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', TMPDIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const guard = (): void => void child.kill('SIGKILL');
  process.once('exit', guard);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', guard);
      resolve(signal ?? String(code));
    }),
  );
  let out = '';
  const waiters = new Set<() => void>();
  const more = (c: Buffer): void => {
    out += c.toString('utf8');
    for (const w of [...waiters]) w();
  };
  child.stdout.on('data', more);
  child.stderr.on('data', more);
  const waitFor = <T>(find: () => T | null): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const found = find();
        if (found === null) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      void exited.then((how) => reject(new Error(`the primary exited (${how}):\n${out}`)));
      check();
    });
  const [url, ops] = await waitFor(() => {
    const m = /^listening on (http:\/\/\S+)\nlistening on (http:\/\/\S+) \(ops\)$/m.exec(out);
    return m ? [m[1]!, m[2]!] : null;
  });
  const parsed = (since: number): Record<string, unknown>[] =>
    out
      .slice(since, out.lastIndexOf('\n')) // complete lines only
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    url,
    ops,
    pid: child.pid!,
    output: () => out,
    mark: () => out.length,
    line: (match, since = 0) => waitFor(() => parsed(since).find(match) ?? null),
    signal: (s) => void child.kill(s),
    exited,
  };
}

const config = await configFile('two.yaml', 2, true);
const gw = await startPrimary(config);
t.teardown(async () => {
  gw.signal('SIGKILL');
  await gw.exited;
});

let rid = 0;
/** A request on `agent` (a pinned keep-alive connection, or a new one) and the worker that served it. */
async function on(
  agent: http.Agent | false,
  path: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<Response & { worker: number }> {
  const id = `t-${process.pid}-${++rid}`;
  const u = new URL(gw.url);
  const res = await new Promise<Response>((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        agent,
        path,
        method: opts.method ?? 'GET',
        headers: { host: DASH, accept: 'application/json', 'x-request-id': id, ...opts.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body) as T,
            setCookies: res.headers['set-cookie'] ?? [],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
  const line = await gw.line((l) => l.reqId === id && l.msg === 'request');
  return { ...res, worker: line.worker as number };
}

/** One keep-alive connection per worker (new connections are dealt round-robin). */
async function pinnedAgents(): Promise<Map<number, http.Agent>> {
  const agents = new Map<number, http.Agent>();
  for (let i = 0; i < 10 && agents.size < 2; i++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const { worker } = await on(agent, '/healthz');
    if (agents.has(worker)) agent.destroy();
    else agents.set(worker, agent);
  }
  if (agents.size < 2) throw new Error('could not reach both workers');
  return agents;
}

async function signIn(): Promise<{ cookie: string; sid: string }> {
  const { jar } = await login(gw.url, { username: 'bob', password: PASSWORDS.bob, jar: new CookieJar() });
  const v = jar.get('gk_acme');
  if (!v) throw new Error('login failed');
  return { cookie: `gk_acme=${v}`, sid: v.split('.')[0]! };
}

/** A worker's own metrics, asked on its private ops socket (the one the primary's /readyz uses). */
function workerMetrics(worker: number): Promise<string> {
  const sockDir = readdirSync(dir).find((d) => d.startsWith('gk-cluster-'));
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath: join(dir, sockDir!, `${worker}.sock`), path: '/metrics' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** The sum of a metric's series (those whose labels match `labels`) in a Prometheus text answer. */
function total(text: string, name: string, labels = /.*/): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+(?:\\.\\d+)?)$`, 'gm')))
    if (labels.test(m[1]!)) sum += Number(m[2]);
  return sum;
}
const requestsTotal = (text: string): number => total(text, 'gatekeeper_requests_total');
/** Session reads (cache hits + misses): an upgrade with a cookie makes one, on the worker that took it. */
const sessionReads = (text: string): number =>
  total(text, 'gatekeeper_cache_hits_total', /cache="session_reads"/) +
  total(text, 'gatekeeper_cache_misses_total', /cache="session_reads"/);

const agents = await pinnedAgents();
const [w1, w2] = [...agents.keys()] as [number, number];
t.teardown(() => {
  for (const a of agents.values()) a.destroy();
});

t.test('both workers serve on the one port, and the primary reports them ready', async (t) => {
  const seen = new Set<number>();
  for (let i = 0; i < 6; i++) seen.add((await on(false, '/healthz')).worker);
  t.same([...seen].sort(), [w1, w2].sort(), 'new connections reach both workers');
  const healthz = await request(gw.ops, '/healthz');
  t.equal(healthz.status, 200);
  const readyz = await request(gw.ops, '/readyz');
  t.equal(readyz.status, 200);
  t.match(readyz.json(), { status: 'ready', store: 'redis', workers: 2 });
});

t.test('a session made through one worker is valid on the other', async (t) => {
  const s = await signIn();
  for (const [w, agent] of agents) {
    const res = await on(agent, '/reports', { headers: { cookie: s.cookie } });
    t.equal(res.worker, w, `pinned to worker ${w}`);
    t.equal(res.status, 200, `the cookie works on worker ${w}`);
  }
});

t.test('a logout on one worker is refused on the other on the very next request (warm cache)', async (t) => {
  for (let round = 0; round < 6; round++) {
    const [a, b] = round % 2 === 0 ? [w1, w2] : [w2, w1];
    const s = await signIn();
    // Twice on each: the second answer on b comes from its session read cache.
    for (const w of [a, b, a, b])
      t.equal((await on(agents.get(w)!, '/reports', { headers: { cookie: s.cookie } })).status, 200);
    const session = await on(agents.get(a)!, '/t/acme/api/v1/session', { headers: { cookie: s.cookie } });
    const out = await on(agents.get(a)!, '/t/acme/logout', {
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': session.json<{ csrfToken: string }>().csrfToken },
    });
    t.equal(out.status, 303, `logged out on worker ${a}`);
    t.equal(out.worker, a);
    const next = await on(agents.get(b)!, '/reports', { headers: { cookie: s.cookie } });
    t.equal(next.worker, b, `the next request is served by worker ${b}`);
    t.equal(next.status, 401, `refused on worker ${b} at once`);
  }
});

t.test('a revocation closes the session’s WebSockets on every worker', async (t) => {
  const s = await signIn();
  const sockets: { ws: WebSocket; closed: Promise<unknown>; worker: number }[] = [];
  // Each socket is a new connection; which worker took it shows in the workers' own counters.
  for (let i = 0; i < 4; i++) {
    const before = [sessionReads(await workerMetrics(w1)), sessionReads(await workerMetrics(w2))];
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/socket`, { headers: { host: DASH, cookie: s.cookie } });
    const closed = once(ws, 'close');
    await once(ws, 'message');
    const after = [sessionReads(await workerMetrics(w1)), sessionReads(await workerMetrics(w2))];
    t.equal(after[0]! - before[0]! + after[1]! - before[1]!, 1, 'one session read, on one worker');
    sockets.push({ ws, closed, worker: after[0]! > before[0]! ? w1 : w2 });
  }
  t.same(new Set(sockets.map((x) => x.worker)).size, 2, 'the sockets are on both workers');
  const csrf = (await on(false, '/t/acme/api/v1/session', { headers: { cookie: s.cookie } })).json<{
    csrfToken: string;
  }>().csrfToken;
  const out = await on(false, '/t/acme/logout', {
    method: 'POST',
    headers: { cookie: s.cookie, 'x-csrf-token': csrf },
  });
  t.equal(out.status, 303);
  await t.test('every socket closes within a second', { timeout: 1000 }, async (t) => {
    await Promise.all(sockets.map((x) => x.closed));
    t.pass('closed');
  });
});

t.test('/metrics on the ops listener sums both workers', async (t) => {
  const before = requestsTotal((await request(gw.ops, '/metrics')).body);
  for (let i = 0; i < 5; i++) await on(agents.get(w1)!, '/public/x');
  for (let i = 0; i < 7; i++) await on(agents.get(w2)!, '/public/x');
  const text = (await request(gw.ops, '/metrics')).body;
  t.equal(requestsTotal(text), before + 12, 'the requests counter grew by the requests made');
  const own = requestsTotal(await workerMetrics(w1)) + requestsTotal(await workerMetrics(w2));
  t.equal(requestsTotal(text), own, "the sum of the workers' own counters");
  t.match(text, /^process_cpu_seconds_total \d/m, 'process metrics too');
});

t.test('a worker that dies is replaced (warned about) and the pool serves on', async (t) => {
  const since = gw.mark();
  const started = await gw.line((l) => l.msg === 'worker listening' && l.worker === w1);
  process.kill(started.pid as number, 'SIGKILL');
  const warn = await gw.line((l) => l.msg === 'worker exited unexpectedly: starting a replacement', since);
  t.match(warn, { level: 40, worker: 0, exited: w1, signal: 'SIGKILL' });
  const replacement = await gw.line((l) => l.msg === 'worker listening', since);
  t.not(replacement.worker, w1, 'a new worker');
  const ready = await request(gw.ops, '/readyz');
  t.equal(ready.status, 200, 'ready again');
  const seen = new Set<number>();
  for (let i = 0; i < 6; i++) seen.add((await on(false, '/healthz')).worker);
  t.same([...seen].sort(), [replacement.worker, w2].sort(), 'both serve: the replacement and the survivor');
});

t.test('SIGHUP to the primary reloads every worker', async (t) => {
  const since = gw.mark();
  gw.signal('SIGHUP');
  const workers = new Set<unknown>();
  await gw.line((l) => {
    if (l.msg === 'configuration reloaded (users and routes)') workers.add(l.worker);
    return workers.size === 2;
  }, since);
  t.equal(workers.size, 2, 'both workers reloaded');
});

t.test('SIGTERM: an in-flight request is answered, then every worker stops and the primary exits 0', async (t) => {
  const s = await signIn();
  // The dashboard app's timeout is 1 s and /hang never answers: a request that lasts 1 s.
  const reached = new Promise<void>((resolve) => {
    const push = upstream.seen.push.bind(upstream.seen);
    upstream.seen.push = (...items) => {
      if (items.some((r) => r.url === '/hang')) resolve();
      return push(...items);
    };
  });
  const inFlight = request(gw.url, '/hang', { headers: { host: DASH, accept: 'application/json', cookie: s.cookie } });
  await reached;
  const since = gw.mark();
  gw.signal('SIGTERM');
  const res = await inFlight;
  t.equal(res.status, 504, 'the in-flight request got its answer (the upstream timeout), not a reset');
  t.equal(await gw.exited, '0', 'exit code 0');
  t.match(gw.output().slice(since), /every worker drained and stopped/);
});

t.test('check-config and start refuse two workers without Redis, naming server.workers', async (t) => {
  const memory = await configFile('memory.yaml', 2, false);
  for (const cmd of ['check-config', 'start']) {
    const r = await runCli([cmd, '--config', memory]);
    t.equal(r.code, 1, `${cmd} exits 1`);
    t.match(r.out, /server\.workers: 2 workers need store\.redis/, cmd);
  }
});
