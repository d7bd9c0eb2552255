// The desync fuzzer (SPEC §3.4 one request in, one request out; §3.5; §6): a few hundred
// generated pipelines of odd request shapes, with a fixed seed, against a gateway in a
// child process (a crash shows as its exit). `npm run fuzz -- --minutes N` runs the same
// property with a random seed for longer.
import t from 'tap';
import { checkDesync, failureReport, startFuzzEnv } from '../helpers/desync-property.js';

const SEED = 20261126;
const RUNS = 300;

const env = await startFuzzEnv();
t.teardown(() => env.close());

t.test(`${RUNS} request shapes (seed ${SEED}): no desync, no smuggled identity, no crash`, async (t) => {
  const details = await checkDesync(env, { seed: SEED, numRuns: RUNS, timeLimitMs: 60_000 });
  t.notOk(details.failed, details.failed ? failureReport(details) : 'every invariant held for every shape');
  t.equal(env.restarts, 0, 'the gateway process never exited');
  if (!details.failed) t.equal(details.numRuns, RUNS, `all ${RUNS} shapes ran within the time limit`);
});
