// The reloader's file watch on folders updated like a mounted ConfigMap: a digest of what the
// visible files say (through the ..data links), one call per real change, none for a rewrite
// of the same content.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { digestFolders, watchFolders } from '../../src/reloader/watch-files.js';
import { writeLikeKubelet } from '../helpers/atomic-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'gk-watch-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('digest: follows the links, ignores the writer folders, same content same digest', async (t) => {
  const d = join(dir, 'a');
  writeLikeKubelet(d, { 'gateway.yaml': 'one', 'users.yaml': 'u' });
  const first = digestFolders([d]);
  writeLikeKubelet(d, { 'gateway.yaml': 'one', 'users.yaml': 'u' });
  t.equal(digestFolders([d]), first, 'a rewrite of the same content (new ..data folder) is no change');
  writeLikeKubelet(d, { 'gateway.yaml': 'two', 'users.yaml': 'u' });
  t.not(digestFolders([d]), first, 'a new content is');
  t.not(digestFolders([join(dir, 'missing')]), digestFolders([d]), 'a missing folder has a digest too');
});

t.test('watch: one call per ConfigMap-style swap, none for the same content', async (t) => {
  const d = join(dir, 'b');
  writeLikeKubelet(d, { 'gateway.yaml': 'v1' });
  const calls: string[] = [];
  let next: (() => void) | null = null;
  const w = watchFolders(
    [d],
    () => {
      calls.push('change');
      next?.();
    },
    { settleMs: 50 },
  );
  t.teardown(() => w.close());
  const changed = (): Promise<void> => new Promise((resolve) => (next = resolve));

  let seen = changed();
  writeLikeKubelet(d, { 'gateway.yaml': 'v2' });
  await seen;
  t.same(calls, ['change']);

  // The same content first, then a real change: the real change is the only call. (The
  // same-content write alone is covered by the digest test: waiting for "no call" would
  // need a sleep.)
  seen = changed();
  writeLikeKubelet(d, { 'gateway.yaml': 'v2' });
  writeLikeKubelet(d, { 'gateway.yaml': 'v3' });
  await seen;
  t.same(calls, ['change', 'change']);

  // A plain file written in place (not a ConfigMap) is seen too.
  seen = changed();
  writeFileSync(join(d, 'extra.yaml'), 'x');
  await seen;
  t.equal(calls.length, 3);
});
