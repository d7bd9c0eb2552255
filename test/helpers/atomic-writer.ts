// Writes a folder the way the kubelet updates a mounted ConfigMap or Secret (AtomicWriter):
// the files go into a new hidden folder `..<timestamp>`, the `..data` link is swapped to it by
// a rename, and each visible name is a link `name → ..data/name` that never changes.
import { existsSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

let generation = 0;

export function writeLikeKubelet(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  const data = join(dir, '..data');
  const old = existsSync(data) ? readlinkSync(data) : null;
  const version = `..2026_12_03_${String(++generation).padStart(4, '0')}.${process.pid}`;
  mkdirSync(join(dir, version));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, version, name), text);
  symlinkSync(version, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), data);
  for (const name of Object.keys(files))
    if (!existsSync(join(dir, name))) symlinkSync(join('..data', name), join(dir, name));
  if (old) rmSync(join(dir, old), { recursive: true, force: true });
}
