// Private redis-server processes for tests: standalone, a 3-master Cluster (3+3 with replicas), and Sentinel.
// Never touches a Redis the machine may already run: every server gets a free loopback
// port and its own temp dir, without persistence, and is killed when the test ends.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './net.js';
import { promisify } from 'node:util';

const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = 'redis-cli';
const READY_TIMEOUT_MS = 15_000;
const run = promisify(execFile);

// A crashed or timed-out test file must not leave servers behind.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout;
}

/** Spawns redis-server and resolves once its log prints `ready` (an event, not a sleep). */
function launch(args: string[], ready: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    child.once('exit', () => live.delete(child));
    let out = '';
    const guard = setTimeout(
      () => fail(new Error(`redis-server not ready after ${READY_TIMEOUT_MS} ms:\n${out}`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (!ready.test(out)) return;
      done();
      resolve(child);
    };
    const onExit = (code: number | null, signal: string | null): void =>
      fail(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${out}`));
    function done(): void {
      clearTimeout(guard);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      // Keep draining the log, or redis blocks once the pipe buffer is full.
      child.stdout!.resume();
      child.stderr!.resume();
    }
    function fail(err: Error): void {
      done();
      child.kill('SIGKILL');
      reject(err);
    }
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', onExit);
    child.once('error', fail);
  });
}

async function terminate(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

export interface RedisServer {
  port: number;
  url: string;
  /** Stops the server for good and removes its directory. */
  stop(): Promise<void>;
  /** SIGKILL: the port closes at once. With keepData, the dataset is saved first so restart() loads it. */
  kill(opts?: { keepData?: boolean }): Promise<void>;
  /** Starts it again on the same port and directory (after kill, or keeping the data if running). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a hung server, connections stay open but nothing answers. */
  pause(): void;
  resume(): void;
}

export interface StartRedisOptions {
  /** Extra redis-server arguments. */
  args?: string[];
  port?: number;
  dir?: string;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'gk-redis-')));
  // Another process may grab a free port before redis binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...(opts.args ?? []),
    ];
    try {
      let child: ChildProcess | null = await launch(args, /Ready to accept connections/);
      const kill = async ({ keepData = false } = {}): Promise<void> => {
        if (keepData && child?.exitCode === null && child.signalCode === null) await redisCli(port, 'SAVE');
        await terminate(child, 'SIGKILL');
      };
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        kill,
        async stop() {
          await terminate(child, 'SIGKILL');
          child = null;
          if (!opts.dir) await rm(dir, { recursive: true, force: true });
        },
        async restart() {
          await kill({ keepData: true });
          child = await launch(args, /Ready to accept connections/);
        },
        pause: () => void child?.kill('SIGSTOP'),
        resume: () => void child?.kill('SIGCONT'),
      };
    } catch (err) {
      if (attempt >= 3 || opts.port !== undefined || !/Address already in use/.test(String(err))) throw err;
    }
  }
}

export interface RedisCluster {
  nodes: { host: string; port: number }[];
  /** Every node's server, masters and replicas alike (kill one to lose it). */
  servers: RedisServer[];
  /** The port of the master that serves `key`'s slot right now (asked of a live node). */
  masterOf(key: string): Promise<number>;
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** Replicas per master (3 masters): 0 (default) or 1 for a 3+3 cluster that can fail over. */
  replicas?: 0 | 1;
  /**
   * cluster-node-timeout in ms (Redis' default is 15 s). A master is taken for failed after
   * it, and its replica promoted about 0.5–1 s later: keep it short in failover tests.
   */
  nodeTimeoutMs?: number;
  /** cluster-require-full-coverage (Redis' default yes: every slot refused while one has no master). */
  requireFullCoverage?: boolean;
}

const liveServer = async (servers: RedisServer[]): Promise<RedisServer> => {
  for (const s of servers) {
    try {
      await redisCli(s.port, 'ping');
      return s;
    } catch {
      // killed: try the next
    }
  }
  throw new Error('no live cluster node');
};

/** Resolves when every node reports cluster_state:ok and every replica is in sync. */
async function waitClusterOk(servers: RedisServer[]): Promise<void> {
  // Gossip needs a moment after `create` returns; there is no event to wait for, so poll.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (const s of servers) {
    for (;;) {
      const info = await redisCli(s.port, 'cluster', 'info');
      const repl = await redisCli(s.port, 'info', 'replication');
      if (/cluster_state:ok/.test(info) && (/role:master/.test(repl) || /master_link_status:up/.test(repl))) break;
      if (Date.now() > deadline) throw new Error(`cluster node ${s.port} never reached cluster_state:ok`);
      await delay(50);
    }
  }
}

/** Three masters (and optionally a replica each); resolves when the cluster serves every slot. */
export async function startCluster(opts: StartClusterOptions = {}): Promise<RedisCluster> {
  const replicas = opts.replicas ?? 0;
  const dir = await mkdtemp(join(tmpdir(), 'gk-cluster-'));
  const servers: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Started side by side; each one pushed as soon as it runs, so stop() finds it.
    const start = async (i: number): Promise<RedisServer> => {
      // The bus port defaults to port + 10000, which may be taken or out of range.
      const bus = await freePort();
      const server = await startRedis({
        dir,
        args: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${i}.conf`,
          '--cluster-port',
          String(bus),
          '--dbfilename',
          `dump-${i}.rdb`,
          ...(opts.nodeTimeoutMs ? ['--cluster-node-timeout', String(opts.nodeTimeoutMs)] : []),
          ...(opts.requireFullCoverage === false ? ['--cluster-require-full-coverage', 'no'] : []),
        ],
      });
      servers.push(server);
      return server;
    };
    const started = await Promise.all(Array.from({ length: 3 * (1 + replicas) }, (_, i) => start(i)));
    // In creation order: redis-cli makes the first three the masters.
    servers.splice(0, servers.length, ...started);
    await run(REDIS_CLI, [
      '--cluster',
      'create',
      ...servers.map((s) => `127.0.0.1:${s.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    await waitClusterOk(servers);
  } catch (err) {
    await stop();
    throw err;
  }
  const masterOf = async (key: string): Promise<number> => {
    const live = await liveServer(servers);
    const slot = Number((await redisCli(live.port, 'cluster', 'keyslot', key)).trim());
    // CLUSTER NODES: id addr flags master ping pong epoch link slot-ranges…
    for (const line of (await redisCli(live.port, 'cluster', 'nodes')).split('\n')) {
      const [, addr, flags, , , , , , ...ranges] = line.trim().split(' ');
      if (!addr || !flags?.includes('master') || flags.includes('fail')) continue;
      for (const r of ranges) {
        const [lo, hi = lo] = r.split('-').map(Number);
        if (lo !== undefined && hi !== undefined && slot >= lo && slot <= hi) return Number(addr.split(/[:@]/)[1]);
      }
    }
    throw new Error(`no live master serves slot ${slot}`);
  };
  return { nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })), servers, masterOf, stop };
}

export interface RedisSentinel {
  sentinels: { host: string; port: number }[];
  name: string;
  master: RedisServer;
  stop(): Promise<void>;
}

/** One master and one sentinel (quorum 1) monitoring it. */
export async function startSentinel(name = 'gkmaster'): Promise<RedisSentinel> {
  const master = await startRedis();
  const dir = await mkdtemp(join(tmpdir(), 'gk-sentinel-'));
  let sentinel: ChildProcess | null = null;
  const stop = async (): Promise<void> => {
    await terminate(sentinel, 'SIGKILL');
    await master.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    // Sentinel rewrites its config file, so it gets its own copy.
    const conf = join(dir, 'sentinel.conf');
    await writeFile(
      conf,
      [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`, ''].join(
        '\n',
      ),
    );
    sentinel = await launch([conf, '--sentinel'], /\+monitor master/);
    return { sentinels: [{ host: '127.0.0.1', port }], name, master, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
