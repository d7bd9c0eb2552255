// @ts-check
// A V8 CPU profile (`node --cpu-prof`) summarised by self time per function and per module,
// counting only the samples taken inside the measured window (V8's sample timestamps and
// process.hrtime are both CLOCK_MONOTONIC, in µs and ns).
import { readFile } from 'node:fs/promises';

/**
 * @typedef {{ functionName: string, url: string, lineNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }} CpuProfile
 * @typedef {{ name: string, us: number }} SelfTime
 * @typedef {{ windowUs: number, sampledUs: number, idleUs: number, functions: SelfTime[], modules: SelfTime[] }} ProfileSummary
 */

/** The module a frame's script belongs to, short. @param {string} url @param {string} fn */
export function moduleOf(url, fn) {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts.slice(0, parts[0] === 'internal' ? 2 : 1).join('/')}`;
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return (rest[0] ?? '').startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return `src/${url.slice(dist + 6).replace(/\.js$/, '.ts')}`;
  return url.replace(/^file:\/\//, '');
}

/** @param {CallFrame} f */
function functionKey(f) {
  const mod = moduleOf(f.url, f.functionName);
  if (f.url === '') return f.functionName || '(anonymous native)';
  return `${f.functionName || '(anonymous)'} ${mod}:${f.lineNumber + 1}`;
}

/**
 * @param {string} file  a .cpuprofile
 * @param {{ fromUs: number, toUs: number }} window  CLOCK_MONOTONIC µs
 * @returns {Promise<ProfileSummary>}
 */
export async function summarizeCpuProfile(file, { fromUs, toUs }) {
  /** @type {CpuProfile} */
  const p = JSON.parse(await readFile(file, 'utf8'));
  if (fromUs < p.startTime || toUs > p.endTime)
    throw new Error(`the window ${fromUs}–${toUs} is not inside the profile's ${p.startTime}–${p.endTime}`);
  /** @type {Map<number, CallFrame>} */
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  /** @type {Map<string, number>} */
  const byFn = new Map();
  /** @type {Map<string, number>} */
  const byModule = new Map();
  let t = p.startTime;
  let sampledUs = 0;
  let idleUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const delta = p.timeDeltas[i] ?? 0;
    t += delta;
    // A sample's time is the interval up to the next sample.
    const us = p.timeDeltas[i + 1] ?? 0;
    if (t < fromUs || t >= toUs) continue;
    const f = frames.get(p.samples[i] ?? -1);
    if (!f) continue;
    sampledUs += us;
    if (f.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const k = functionKey(f);
    byFn.set(k, (byFn.get(k) ?? 0) + us);
    const m = moduleOf(f.url, f.functionName);
    byModule.set(m, (byModule.get(m) ?? 0) + us);
  }
  /** @param {Map<string, number>} m */
  const sorted = (m) => [...m].map(([name, us]) => ({ name, us })).sort((a, b) => b.us - a.us);
  return { windowUs: toUs - fromUs, sampledUs, idleUs, functions: sorted(byFn), modules: sorted(byModule) };
}
