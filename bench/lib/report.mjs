// @ts-check
// What the bench prints: the progress line of every run, and at the end the closed-loop
// table with ratios to the bare proxy, the open-loop pass, and the issues' targets.
import { isMeasured } from './summary.mjs';

/** @typedef {import('./types.js').ClosedRow} ClosedRow */
/** @typedef {import('./types.js').OpenLoopRow} OpenLoopRow */
/** @typedef {import('./types.js').PerRequest} PerRequest */
/** @typedef {import('./types.js').Stat} Stat */
/** @typedef {import('./types.js').Summary} Summary */

/** @param {number | null | undefined} x */
const fmtInt = (x) => (typeof x === 'number' ? Math.round(x).toLocaleString('en-US') : '-');
/** @param {number | null | undefined} x */
const fmt = (x, d = 2) => (typeof x === 'number' ? x.toFixed(d) : '-');
/** @param {number | null | undefined} x */
const pctf = (x) => (typeof x === 'number' ? `${(x * 100).toFixed(0)}%` : '-');
/** @param {Stat | undefined} s @param {(x: number) => string} f */
const fmtRange = (s, f) => (s && s.min !== null && s.max !== null ? `${f(s.min)}–${f(s.max)}` : '');
/** @param {number} x */
const pct0 = (x) => `${(x * 100).toFixed(0)}%`;

/** The cores' busy shares of one run, for its progress line. @param {PerRequest} row */
function coresLine(row) {
  const {
    serverCoreBusy: sb,
    irqServerShare: si,
    foreignServerShare: so,
    loadCoreBusy: lb,
    irqLoadShare: li,
    foreignLoadShare: lo,
  } = row;
  if (sb === null || si === null || so === null || lb === null || li === null || lo === null) return '';
  return `  server core ${pct0(sb)} (irq ${pct0(si)}, others ${pct0(so)})  load core ${pct0(lb)} (irq ${pct0(li)}, others ${pct0(lo)})`;
}

/** @param {number} round @param {number} rounds @param {string} name @param {ClosedRow} r */
export function closedProgressLine(round, rounds, name, r) {
  return (
    `round ${round}/${rounds}  ${name.padEnd(20)} ${fmtInt(r.rps).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${fmt(r.p99Ms)} ms  ` +
    `${r.procUsPerReq?.toFixed(1) ?? '-'} µs/req` +
    coresLine(r) +
    (r.non2xx || r.errors ? `  !! non-2xx ${r.non2xx} errors ${r.errors}` : '')
  );
}

/** @param {number} round @param {number} rounds @param {string} name @param {OpenLoopRow} row */
export function openProgressLine(round, rounds, name, row) {
  return (
    `open loop ${round}/${rounds}  ${name.padEnd(20)} p50 ${row.p50Ms?.toFixed(3)} ms  p99 ${row.p99Ms?.toFixed(3)} ms  max ${row.maxMs?.toFixed(2)} ms  ` +
    `late sends ${(row.lateShare * 100).toFixed(1)}%` +
    coresLine(row) +
    (row.non2xx || row.errors || row.unanswered
      ? `  !! non-2xx ${row.non2xx} errors ${row.errors} unanswered ${row.unanswered}`
      : '')
  );
}

/**
 * @param {string[]} headers
 * @param {(string | number)[][]} rows
 * @param {('l' | 'r')[]} align
 */
function table(headers, rows, align) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  /** @param {(string | number)[]} cells */
  const line = (cells) =>
    cells
      .map((c, i) => (align[i] === 'l' ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** @param {Summary} summary */
export function closedLoopTable(summary) {
  const headers = ['mode', 'req/s', '(range)', '×bare', '×undici', '×apache', 'p50 ms', '(range)', 'p99 ms', '(range)'];
  headers.push('CPU µs/req', '×bare', 'redis µs/req', 'upstr µs/req', 'peak RSS MB', 'non-2xx', 'errors');
  /** @type {('l' | 'r')[]} */
  const align = ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'l', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'];
  /** @type {(string | number)[][]} */
  const rows = [];
  for (const [name, m] of Object.entries(summary.modes)) {
    if (!isMeasured(m)) {
      rows.push([name, m.status === 'failed' ? 'FAILED' : 'skipped', ...headers.slice(2).map(() => '')]);
      continue;
    }
    const s = m.stats;
    const upstreamCpu = name === 'upstream' ? '(self)' : m.reachesUpstream ? fmt(s.upstreamUsPerReq.median, 1) : '-';
    rows.push([
      m.disturbed ? `${name} *` : name,
      fmtInt(s.rps.median),
      fmtRange(s.rps, fmtInt),
      fmt(m.ratios.rps),
      fmt(m.ratios.rpsVsUndici),
      m.ratios.rpsVsApache === null ? '' : fmt(m.ratios.rpsVsApache),
      fmt(s.p50Ms.median),
      fmtRange(s.p50Ms, (x) => fmt(x)),
      fmt(s.p99Ms.median),
      fmtRange(s.p99Ms, (x) => fmt(x)),
      fmt(s.procUsPerReq.median, 1),
      fmt(m.ratios.cpu),
      fmt(s.redisUsPerReq.median, 1),
      upstreamCpu,
      fmt(m.peakRssMB, 1),
      `${m.non2xx}${m.non2xx > 0 ? ' !!' : ''}`,
      `${m.errors}${m.errors > 0 ? ' !!' : ''}`,
    ]);
  }
  const reasons = Object.entries(summary.modes)
    .filter(([, m]) => m.status !== 'ok')
    .map(([name, m]) => `  ${name} ${m.status}: ${m.reason}`);
  const star = Object.values(summary.modes).some((m) => m.disturbed)
    ? ['  * disturbed: other processes took CPU from the pinned cores in half of the rounds or more (see notes)']
    : [];
  return [table(headers, rows, align), ...star, ...reasons].join('\n');
}

/** @param {Summary} summary */
export function openLoopTable(summary) {
  const ol = summary.openLoop;
  if (!ol || ol.status !== 'ok') return `open loop: ${ol?.reason ?? 'not run'}`;
  const headers = [
    'mode',
    'rate req/s',
    'p50 ms',
    '(range)',
    'p99 ms',
    '(range)',
    'p99.9 ms',
    'max ms',
    'added p50 ms',
    'added p99 ms',
  ];
  headers.push('CPU µs/req', 'late sends', 'non-2xx', 'errors');
  /** @type {('l' | 'r')[]} */
  const align = ['l', 'r', 'r', 'l', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'];
  const rows = Object.entries(ol.modes).map(([name, m]) => {
    const added = ol.added[name];
    return [
      m.disturbed ? `${name} *` : name,
      fmtInt(ol.rate),
      fmt(m.p50Ms.median, 3),
      fmtRange(m.p50Ms, (x) => fmt(x, 3)),
      fmt(m.p99Ms.median, 3),
      fmtRange(m.p99Ms, (x) => fmt(x, 3)),
      fmt(m.p999Ms.median, 3),
      fmt(m.maxMs.max, 2),
      added ? fmt(added.p50Ms, 3) : '(ref)',
      added ? fmt(added.p99Ms, 3) : '(ref)',
      fmt(m.procUsPerReq.median, 1),
      pctf(m.lateShare.max),
      `${m.non2xx}${m.non2xx > 0 ? ' !!' : ''}`,
      `${m.errors}${m.errors > 0 ? ' !!' : ''}`,
    ];
  });
  return table(headers, rows, align);
}

/** One table per issue. @param {Summary} summary */
export function targetsTables(summary) {
  const issues = [...new Set(summary.targets.map((t) => t.issue))];
  return issues.map((issue) => targetsTable(summary, issue)).join('\n\n');
}

/** @param {Summary} summary @param {number} issue */
function targetsTable(summary, issue) {
  const headers = [`issue ${issue} target`, 'measured', 'target', 'result'];
  const rows = summary.targets
    .filter((t) => t.issue === issue)
    .map((t) => [
      t.label,
      t.measured === null ? '-' : `${fmt(t.measured, t.unit === 'ms' ? 3 : 2)} ${t.unit}`,
      `${t.op} ${t.value} ${t.unit}`,
      (t.measured === null ? 'not measured' : t.met ? 'met' : 'NOT met') + (t.disturbed ? ' (disturbed)' : ''),
    ]);
  return table(headers, rows, ['l', 'r', 'r', 'l']);
}

/** @param {Summary} summary */
export function fullReport(summary) {
  const s = summary.settings;
  const mach = summary.machine;
  const head = [
    `Gatekeeper benchmark — ${summary.date}`,
    `machine: ${mach.nproc} cores, ${mach.cpuModel}, ${mach.memTotalMB} MB RAM, node ${mach.node}, ${mach.kernel}`,
    `load: ${s.loadGenerator} (${s.loadGeneratorVersion}), ${s.connections} connections, ${s.threads} thread(s); ` +
      `${s.rounds} rounds × ${s.seconds} s per mode, interleaved, after ${s.warmupSeconds} s warm-up; ` +
      (s.pinning.pinned
        ? `servers + Redis on core(s) ${s.pinning.server}, load generator on core(s) ${s.pinning.load}`
        : `not pinned (${s.pinning.reason})`),
    "median (range) over rounds; ×bare = ratio to bare-proxy's median (×undici: req/s to bare-undici's; " +
      "×apache: a gateway bearer mode's req/s to the Apache mode with the same tokens); " +
      "CPU µs/req = user+system time of the mode's own server process(es) per request",
    ...(summary.idleCheck
      ? [
          `before the run, other processes kept the server core(s) ${pctf(summary.idleCheck.serverCoreBusy)} ` +
            `and the load core(s) ${pctf(summary.idleCheck.loadCoreBusy)} busy`,
        ]
      : []),
  ];
  return [
    ...head,
    '',
    closedLoopTable(summary),
    '',
    `open loop (fixed rate ≈ ${s.openLoop.fraction.toFixed(2)} × bare-proxy capacity, ${s.openLoop.seconds} s per run ` +
      `incl. ${s.openLoop.leadInSeconds} s lead-in, latency from the scheduled send time):`,
    openLoopTable(summary),
    '',
    targetsTables(summary),
    ...(summary.flags.length ? ['', 'FLAGS:', ...summary.flags.map((f) => `  !! ${f}`)] : []),
    ...(summary.notes.length ? ['', 'notes:', ...summary.notes.map((n) => `  - ${n}`)] : []),
  ].join('\n');
}
