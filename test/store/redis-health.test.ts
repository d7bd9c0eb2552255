// The Redis store's readiness and its outage log lines on a standalone redis-server: killed
// → ping (what /readyz asks) fails and one warn line says so; back → one warn line says it
// serves again, with no line per reconnect attempt or per call in between.
import { Writable } from 'node:stream';
import t from 'tap';
import pino from 'pino';
import { RedisStore } from '../../src/store/redis.js';
import { StoreUnavailableError } from '../../src/store/types.js';
import { startRedis } from '../helpers/redis.js';

t.test('standalone: not ready while down, one warn line each way', async (t) => {
  const server = await startRedis();
  t.teardown(() => server.stop());
  const lines: Record<string, unknown>[] = [];
  const waiting: { msg: string; resolve: () => void }[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const line = JSON.parse(chunk.toString()) as Record<string, unknown>;
      lines.push(line);
      for (const w of waiting.filter((x) => x.msg === line.msg)) w.resolve();
      cb();
    },
  });
  const next = (msg: string): Promise<void> => new Promise((resolve) => waiting.push({ msg, resolve }));
  const store = new RedisStore({ url: server.url }, { keyPrefix: 'gk:health:', log: pino({ level: 'info' }, dest) });
  t.teardown(() => store.close());
  await store.ping();

  const down = next('redis store cannot serve');
  await server.kill({ keepData: true });
  await down;
  const start = performance.now();
  for (let i = 0; i < 20; i++)
    await t.rejects(store.getSession('acme', 'sess_x'.padEnd(38, 'x')), StoreUnavailableError);
  await t.rejects(store.ping(), StoreUnavailableError, 'not ready');
  t.ok(performance.now() - start < 2000, '21 calls while down all failed at once');

  const back = next('redis store serving again');
  await server.restart();
  await back;
  await store.ping();
  t.same(
    lines.filter((l) => l.level === 40).map((l) => l.msg),
    ['redis store cannot serve', 'redis store serving again'],
  );
  t.notMatch(JSON.stringify(lines), /redis:\/\//, 'no connection URL in the log');
});
