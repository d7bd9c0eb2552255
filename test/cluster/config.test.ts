// server.workers (issue 16 item 6): the schema's values, and the preflight rule that
// several workers need Redis (start and check-config share it).
import { availableParallelism } from 'node:os';
import t from 'tap';
import { ConfigError, loadConfigText } from '../../src/config/load.js';
import { workersRule } from '../../src/preflight.js';
import { RestartBudget } from '../../src/cluster/restart-budget.js';
import { ManualClock } from '../../src/util/clock.js';

const yaml = (workers: string, store = ''): string => `
server: { listen: "127.0.0.1:0"${workers ? `, workers: ${workers}` : ''} }
${store}
tenants:
  acme:
    apps:
      - { name: a, hosts: [a.acme.test], upstream: "http://127.0.0.1:9" }
`;

t.test('workers: default 1, a count, or auto (the cores this process may use)', async (t) => {
  t.equal(loadConfigText(yaml(''), { env: {} }).server.workers, 1);
  t.equal(loadConfigText(yaml('3'), { env: {} }).server.workers, 3);
  t.equal(loadConfigText(yaml('auto'), { env: {} }).server.workers, availableParallelism());
});

t.test('workers: anything else is refused with its path', async (t) => {
  for (const bad of ['0', '-1', '1.5', '"two"', '257', 'null']) {
    const err = t.throws(() => loadConfigText(yaml(bad), { env: {} })) as unknown;
    t.ok(err instanceof ConfigError, bad);
    t.match(
      (err as ConfigError).errors,
      [{ path: 'server.workers', message: /whole number from 1 to 256 or auto/ }],
      bad,
    );
  }
});

t.test('workers > 1 needs store.redis; 1 worker or Redis is fine', async (t) => {
  const issues = workersRule(loadConfigText(yaml('2'), { env: {} }));
  t.match(issues, [{ path: 'server.workers', message: /need store\.redis: the in-memory store cannot be shared/ }]);
  t.same(workersRule(loadConfigText(yaml('1'), { env: {} })), []);
  t.same(workersRule(loadConfigText(yaml('2', 'store: { redis: "redis://127.0.0.1:1/0" }'), { env: {} })), []);
});

t.test('restarts: at most 5 a minute, later ones wait for the window', async (t) => {
  const clock = new ManualClock();
  const budget = new RestartBudget(clock, 5, 60_000);
  t.same(
    [1, 2, 3, 4, 5].map(() => budget.take()),
    [0, 0, 0, 0, 0],
    'five at once',
  );
  t.equal(budget.take(), 60_000, 'the sixth waits a minute');
  t.equal(budget.take(), 60_000, 'so does the seventh (the second slot frees then too)');
  clock.advance(30_000);
  t.equal(budget.take(), 30_000, 'an eighth after 30 s: the third slot frees in 30 s');
  clock.advance(120_000);
  t.equal(budget.take(), 0, 'after a quiet spell: at once');
});
