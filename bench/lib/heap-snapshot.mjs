// @ts-check
// A V8 heap snapshot summarised by what its objects are: self size and count per
// (type, constructor or kind), largest first. Strings are grouped by kind, not by text.
import { readFile } from 'node:fs/promises';

/**
 * @typedef {{ name: string, count: number, bytes: number }} HeapGroup
 * @typedef {{ meta: { node_fields: string[], node_types: [string[], ...unknown[]] } }} SnapshotHead
 */

/**
 * @param {string} file
 * @returns {Promise<{ totalBytes: number, groups: HeapGroup[] }>}
 */
export async function summarizeHeapSnapshot(file) {
  /** @type {{ snapshot: SnapshotHead, nodes: number[], strings: string[] }} */
  const s = JSON.parse(await readFile(file, 'utf8'));
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  /** @type {Map<string, HeapGroup>} */
  const groups = new Map();
  let totalBytes = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType] ?? 0] ?? '?';
    const bytes = s.nodes[i + iSize] ?? 0;
    totalBytes += bytes;
    const raw = s.strings[s.nodes[i + iName] ?? 0] ?? '';
    const name =
      type === 'string' || type === 'concatenated string' || type === 'sliced string'
        ? `(${type})`
        : type === 'object' || type === 'closure' || type === 'native'
          ? `${type} ${raw.slice(0, 60)}`
          : `(${type}) ${type === 'code' || type === 'hidden' || type === 'array' ? raw.slice(0, 40) : ''}`.trim();
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, count: 0, bytes: 0 }));
    g.count++;
    g.bytes += bytes;
  }
  return { totalBytes, groups: [...groups.values()].sort((a, b) => b.bytes - a.bytes) };
}
