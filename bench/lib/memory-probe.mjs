// @ts-check
/* global process, console, setInterval */
// Loaded into a server under test with `node --import` by `npm run bench:profile --
// --tool memory`: samples process.memoryUsage() and V8's heap spaces every 20 ms and keeps
// the peak of each; on SIGUSR2 prints one `memory-probe {json}` line with the peaks, the
// current values and (when GK_PROBE_SNAPSHOT names a file) writes a heap snapshot there.
import v8 from 'node:v8';

/** @type {Record<string, number>} */
const peak = {};
/** @type {Record<string, number>} */
const now = {};

function sample() {
  const m = process.memoryUsage();
  now.rss = m.rss;
  now.heapTotal = m.heapTotal;
  now.heapUsed = m.heapUsed;
  now.external = m.external;
  now.arrayBuffers = m.arrayBuffers;
  for (const s of v8.getHeapSpaceStatistics()) {
    now[`space:${s.space_name}:size`] = s.space_size;
    now[`space:${s.space_name}:used`] = s.space_used_size;
  }
  const h = v8.getHeapStatistics();
  now.mallocedMemory = h.malloced_memory;
  const c = v8.getHeapCodeStatistics();
  now.codeAndMetadata = c.code_and_metadata_size + c.bytecode_and_metadata_size;
  for (const [k, v] of Object.entries(now)) peak[k] = Math.max(peak[k] ?? 0, v);
}

setInterval(sample, 20).unref();
process.on('SIGUSR2', () => {
  sample();
  const snapshot = process.env.GK_PROBE_SNAPSHOT;
  const file = snapshot ? v8.writeHeapSnapshot(snapshot) : null;
  console.log(`memory-probe ${JSON.stringify({ peak, now, snapshot: file })}`);
});
