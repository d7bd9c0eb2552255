// A Redis master, one replica and a sentinel (quorum 1, down-after 200 ms, failover timeout
// 1 s) on free loopback ports, all killed at the test's teardown: for failover tests that
// kill the master and let the sentinel promote the replica.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Test } from 'tap';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../../src/config/types.js';
import { freePort } from './net.js';
import { startRedis, type RedisServer } from './redis.js';

export const NAME = 'gkdur';
/** No 5 s wait before a replica's first full sync (repl-diskless-sync-delay). */
export const FAST_SYNC = ['--repl-diskless-sync-delay', '0'];

/**
 * Until the replica acknowledges a write within 100 ms (what WAIT counts; a replica just
 * synced may not ack for a moment): there is no event to await, so ask.
 */
export async function linkUp(master: RedisServer): Promise<void> {
  const raw = new Redis(master.url);
  try {
    await raw.set('probe', '1');
    while ((await raw.wait(1, 100)) < 1) await delay(20);
  } finally {
    raw.disconnect();
  }
}

export interface Sentinel {
  port: number;
  /** Resolves when the sentinel's log has printed a line matching `re` (from now on). */
  next(re: RegExp): Promise<void>;
}

/** A master, its replica and a sentinel with a short down-after, all killed at teardown. */
export async function topology(
  t: Test,
  args: string[] = [],
): Promise<{ master: RedisServer; replica: RedisServer; sentinel: Sentinel }> {
  const master = await startRedis({ args: [...args, ...FAST_SYNC] });
  const replica = await startRedis({ args: [...args, '--replicaof', '127.0.0.1', String(master.port)] });
  const dir = await mkdtemp(join(tmpdir(), 'gk-durability-'));
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${NAME} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${NAME} 200`,
      `sentinel failover-timeout ${NAME} 1000`, // an aborted attempt is retried after 2 s
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/bin/redis-server', [conf, '--sentinel'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    replica.resume();
    await Promise.all([master.stop(), replica.stop(), rm(dir, { recursive: true, force: true })]);
  });
  let out = '';
  const waiters: { re: RegExp; from: number; resolve: () => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters])
      if (w.re.test(out.slice(w.from))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  child.stderr!.resume();
  const sentinel: Sentinel = {
    port,
    next: (re) => new Promise((resolve) => waiters.push({ re, from: out.length, resolve })),
  };
  const seen = (re: RegExp): Promise<void> =>
    re.test(out) ? Promise.resolve() : new Promise((resolve) => waiters.push({ re, from: 0, resolve }));
  await linkUp(master);
  await seen(/\+monitor master/);
  await seen(/\+slave slave/);
  return { master, replica, sentinel };
}

export const sentinelCfg = (s: Sentinel): RedisConfig => ({
  sentinels: [{ host: '127.0.0.1', port: s.port }],
  name: NAME,
});
