/* global process, console */
// `npm run fuzz -- [--minutes N] [--seed S]`: the desync property of
// test/e2e/desync-fuzz.test.ts with a random seed for N minutes (default 5). Prints the
// seed first and, on failure, fast-check's report with the shrunk counterexample; exit 1.
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

register();
const { values } = parseArgs({ options: { minutes: { type: 'string', default: '5' }, seed: { type: 'string' } } });
const minutes = Number(values.minutes);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isFinite(minutes) || minutes <= 0 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- [--minutes N] [--seed S]');
  process.exit(2);
}
const { checkDesync, failureReport, startFuzzEnv } = await import('../test/helpers/desync-property.ts');

console.log(`fuzz: seed ${seed}, ${minutes} min (replay: npm run fuzz -- --seed ${seed} --minutes ${minutes})`);
const env = await startFuzzEnv();
let code = 0;
try {
  const details = await checkDesync(env, { seed, timeLimitMs: minutes * 60_000 });
  if (details.failed) {
    console.log(failureReport(details));
    code = 1;
  } else {
    console.log(`fuzz: ${details.numRuns} shapes, every invariant held (seed ${seed})`);
  }
  if (env.restarts > 0) {
    console.log(`fuzz: the gateway process exited ${env.restarts} time(s)`);
    code = 1;
  }
} finally {
  await env.close();
}
process.exit(code);
