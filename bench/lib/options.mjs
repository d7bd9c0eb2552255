// @ts-check
/* global process, console */
// `npm run bench -- …` options: parsed and checked once, with the defaults of a full and a
// quick run (bench/README.md, Options).
import { parseArgs } from 'node:util';

/** @typedef {import('./types.js').Options} Options */
/** @typedef {import('./types.js').Alg} Alg */
/** @typedef {import('./types.js').LoadTool} LoadTool */

export const USAGE = `usage: npm run bench [-- options]
  --quick               3 rounds × 3 s per mode, short warm-up and open loop (whole run about 2.5 min)
  --rounds N            rounds per mode (default 3, at least 3 for a median worth the name)
  --seconds N           seconds per mode per round (default 10)
  --warmup N            warm-up seconds per mode before the rounds (default 3; quick 1)
  --modes a,b,…         only these modes (bare-proxy is always added: it is the reference)
  --connections N       load-generator connections (default 50)
  --loadgen wrk|autocannon   default: wrk when installed, else autocannon
  --open-loop-seconds N seconds per open-loop run (default 10; quick 2)
  --alg RS256|ES256|EdDSA    signing algorithm of the gateway's keys (default ES256)
  --server-cpus LIST    e.g. 0     (default: first half of the cores)
  --load-cpus LIST      e.g. 1     (default: the other half)
  --wait-idle N         before starting, wait up to N seconds for the pinned cores to be quiet (default 0)
  --no-build            use dist/ as it is instead of running \`npm run build\` first
  --out FILE            results file (default bench/results/latest.json)`;

/** @type {Alg[]} */
const ALGS = ['RS256', 'ES256', 'EdDSA'];
/** @type {LoadTool[]} */
const TOOLS = ['wrk', 'autocannon'];

/**
 * @param {string[]} argv
 * @param {{ modeNames: string[], reference: string, defaultOut: string }} known  modes in table order
 * @returns {Options}
 */
export function parseOptions(argv, { modeNames, reference, defaultOut }) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      modes: { type: 'string' },
      connections: { type: 'string' },
      loadgen: { type: 'string' },
      'open-loop-seconds': { type: 'string' },
      alg: { type: 'string', default: 'ES256' },
      'server-cpus': { type: 'string' },
      'load-cpus': { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'wait-idle': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  /** @type {(v: string | undefined, d: number, min: number) => number} */
  const int = (v, d, min) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`expected an integer ≥ ${min}, got ${v}`);
    return n;
  };
  const quick = values.quick;
  const known = new Set(modeNames);
  let modes = values.modes ? values.modes.split(',').map((s) => s.trim()) : [...known];
  for (const m of modes) if (!known.has(m)) throw new Error(`unknown mode ${m}; modes: ${[...known].join(', ')}`);
  if (!modes.includes(reference)) modes = [reference, ...modes];
  const alg = ALGS.find((a) => a === values.alg);
  if (!alg) throw new Error(`--alg must be RS256, ES256 or EdDSA`);
  const loadgen = values.loadgen === undefined ? null : TOOLS.find((t) => t === values.loadgen);
  if (loadgen === undefined) throw new Error('--loadgen must be wrk or autocannon');
  return {
    quick,
    rounds: int(values.rounds, 3, 1),
    seconds: int(values.seconds, quick ? 3 : 10, 1),
    warmupSeconds: int(values.warmup, quick ? 1 : 3, 0),
    modes: modeNames.filter((n) => modes.includes(n)),
    connections: int(values.connections, 50, 1),
    loadgen,
    openLoopSeconds: int(values['open-loop-seconds'], quick ? 2 : 10, 1),
    alg,
    serverCpus: values['server-cpus'],
    loadCpus: values['load-cpus'],
    build: !values['no-build'],
    waitIdleSeconds: int(values['wait-idle'], 0, 0),
    out: values.out ?? defaultOut,
  };
}
