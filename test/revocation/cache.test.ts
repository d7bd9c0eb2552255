// The revocation LRU on its own: a revoked id is refused from memory (counted as a hit),
// never becomes valid again by time, and only the oldest revocations give way to newer ones.
import t from 'tap';
import { RevocationCache } from '../../src/revocation/cache.js';

t.test('a revoked id is known at once; others are not', async (t) => {
  const c = new RevocationCache();
  t.notOk(c.has('sess_a'));
  c.add('sess_a');
  t.ok(c.has('sess_a'));
  t.notOk(c.has('sess_b'));
  t.equal(c.hits, 1, 'only the refusal counts as a hit');
  t.equal(c.size, 1);
  c.add('sess_a');
  t.equal(c.size, 1, 'adding twice keeps one entry');
});

t.test('bounded: the oldest revocations give way to newer ones', async (t) => {
  const c = new RevocationCache({ max: 3 });
  for (const id of ['a', 'b', 'c']) c.add(id);
  t.ok(c.has('a'), 'a checked (a check does not renew it)');
  c.add('d');
  t.equal(c.size, 3);
  t.notOk(c.has('a'), 'the oldest is evicted (the store, the authority, still refuses it)');
  t.ok(c.has('b') && c.has('c') && c.has('d'), 'the newer ones stay');
});
