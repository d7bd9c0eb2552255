// A master of a 3+3 Redis Cluster killed (SIGKILL) under a small steady load of session
// reads on every shard: the lost shard's reads fail fast (StoreUnavailableError, a 503),
// the healthy shards' reads go on, readiness (/readyz's ping) is false until the replica is
// promoted, and one warn line marks the loss and one the recovery. The measured times are
// printed (t.comment); the bounds asserted are generous so that a busy machine passes.
import { Writable } from 'node:stream';
import { setInterval as every } from 'node:timers/promises';
import t, { type Test } from 'tap';
import pino from 'pino';
import { RedisStore } from '../../src/store/redis.js';
import { StoreUnavailableError, type SessionRecord } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { tagOfSessionId } from '../../src/session/ids.js';
import { redisCli, startCluster } from '../helpers/redis.js';
import { sessionFor } from './contract-fixture.js';

const PREFIX = 'gk:fo:';
const TICK_MS = 10;
const LOSS_MS = 2_000; // a generous bound on one failed call (measured: tens of ms at most)

interface Sample {
  at: number;
  ms: number;
  ok: boolean;
}

type Line = Record<string, unknown>;

/** Log lines of the store, and a promise for the first line (past or future) that matches. */
function captureLog(): { log: pino.Logger; lines: Line[]; waitFor(match: (l: Line) => boolean): Promise<Line> } {
  const lines: Line[] = [];
  const waiting = new Set<{ match: (l: Line) => boolean; resolve: (l: Line) => void }>();
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const line = JSON.parse(chunk.toString()) as Line;
      lines.push(line);
      for (const w of waiting) {
        if (!w.match(line)) continue;
        waiting.delete(w);
        w.resolve(line);
      }
      cb();
    },
  });
  return {
    log: pino({ level: 'info' }, dest),
    lines,
    waitFor: (match) =>
      new Promise((resolve) => {
        const seen = lines.find(match);
        if (seen) resolve(seen);
        else waiting.add({ match, resolve });
      }),
  };
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};
const f = (n: number): string => n.toFixed(1);

async function failover(t: Test, requireFullCoverage: boolean): Promise<void> {
  const cluster = await startCluster({ replicas: 1, nodeTimeoutMs: 1000, requireFullCoverage });
  t.teardown(() => cluster.stop());
  const clock = new ManualClock();
  const logs = captureLog();
  const store = new RedisStore({ cluster: cluster.nodes }, { keyPrefix: PREFIX, log: logs.log });
  t.teardown(() => store.close());
  await store.ping();

  // One session on each master (users picked by the slot their sessions land in).
  const byMaster = new Map<number, SessionRecord>();
  for (let i = 0; byMaster.size < 3; i++) {
    const s = sessionFor(clock, { userId: `u${i}` });
    const port = await cluster.masterOf(`${PREFIX}{acme:${tagOfSessionId(s.id)}}:s:${s.id}`);
    if (byMaster.has(port)) continue;
    await store.createSession(s, { max: 0, policy: 'reject' }, clock.now());
    byMaster.set(port, s);
  }
  // The replicas have them before the kill (replication is asynchronous).
  for (const port of byMaster.keys()) await redisCli(port, 'wait', '1', '2000');
  const [victimPort, lostSession] = [...byMaster][0]!;
  const victim = cluster.servers.find((s) => s.port === victimPort)!;

  const samples = new Map<string, Sample[]>([...byMaster.values()].map((s) => [s.id, []]));
  let killedAt = 0;
  let stop = false;
  let wrong = 0;
  const load = [...byMaster.values()].map(async (s) => {
    for await (const _ of every(TICK_MS)) {
      if (stop) return;
      const start = performance.now();
      let ok = true;
      try {
        if ((await store.getSession('acme', s.id))?.id !== s.id) wrong++;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        ok = false;
      }
      if (killedAt > 0) samples.get(s.id)!.push({ at: start - killedAt, ms: performance.now() - start, ok });
    }
  });

  const victimKey = `127.0.0.1:${victimPort}`;
  const isLoss = (l: Line): boolean => l.msg === 'redis store cannot serve' && String(l.lost) === victimKey;
  const before = logs.lines.length;
  killedAt = performance.now();
  await victim.kill();
  await t.rejects(store.ping(), StoreUnavailableError, 'not ready with a master lost');
  const down = await logs.waitFor(isLoss);
  const up = await logs.waitFor(
    (l) => l.msg === 'redis store serving again' && logs.lines.indexOf(l) > logs.lines.indexOf(down),
  );
  const recoveredAt = performance.now() - killedAt;
  await store.ping();
  // A few more ticks on the promoted replica, then stop the load.
  const after = samples.get(lostSession.id)!.length;
  for await (const _ of every(TICK_MS)) if (samples.get(lostSession.id)!.length >= after + 5) break;
  stop = true;
  await Promise.all(load);
  t.equal(wrong, 0, 'every read that answered found its session');

  const lostSamples = samples.get(lostSession.id)!;
  const failed = lostSamples.filter((x) => !x.ok);
  const firstOkAgain = lostSamples.find((x) => x.ok && x.at > 0);
  t.ok(failed.length > 0, 'reads on the lost shard failed as an outage');
  t.ok(
    failed.every((x) => x.ms < LOSS_MS),
    `each failed within ${LOSS_MS} ms`,
  );
  t.ok(firstOkAgain, 'and the lost shard serves again after the failover');
  const healthy = [...samples].filter(([id]) => id !== lostSession.id).flatMap(([, xs]) => xs);
  if (requireFullCoverage) {
    // Redis refuses every slot (CLUSTERDOWN) from the moment it marks the master failed
    // until the replica is promoted: the healthy shards fail too, but fast.
    t.ok(
      healthy.every((x) => x.ms < LOSS_MS),
      'healthy shards are not held',
    );
  } else {
    t.ok(
      healthy.every((x) => x.ok),
      'healthy shards kept answering',
    );
  }
  const since = logs.lines.slice(before);
  t.same(
    since.filter((l) => l.level === 40).map((l) => l.msg),
    ['redis store cannot serve', 'redis store serving again'],
    'one warn line for the loss and one for the recovery, none per request',
  );
  t.same(down.lost, [victimKey], 'naming the lost master');
  t.equal(up.level, 40);

  const failedMs = failed.map((x) => x.ms);
  const healthyMs = healthy.map((x) => x.ms);
  t.comment(
    `cluster-require-full-coverage ${requireFullCoverage ? 'yes' : 'no'}: ` +
      `lost shard: ${failed.length} reads failed, time to the error p50 ${f(pct(failedMs, 0.5))} ms, ` +
      `max ${f(Math.max(...failedMs))} ms; served again ${f(firstOkAgain!.at)} ms after the kill; ` +
      `healthy shards: ${healthy.length} reads, ${healthy.filter((x) => !x.ok).length} failed, ` +
      `p50 ${f(pct(healthyMs, 0.5))} ms, p99 ${f(pct(healthyMs, 0.99))} ms, max ${f(Math.max(...healthyMs))} ms; ` +
      `ready again ${f(recoveredAt)} ms after the kill`,
  );
}

const bounded = { timeout: 60_000 };
t.test('a master killed, cluster-require-full-coverage no: only its shard fails, fast', bounded, (t) =>
  failover(t, false),
);
t.test('a master killed, Redis defaults (full coverage): every shard fails fast until the promotion', bounded, (t) =>
  failover(t, true),
);
