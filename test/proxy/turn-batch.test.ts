// TurnBatch: what is added during one event-loop turn runs together at its end, in order;
// one failing callback neither stops the others nor the batches after it.
import t from 'tap';
import { TurnBatch } from '../../src/proxy/turn-batch.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

t.test('callbacks run after the current turn, together and in order', async (t) => {
  const ran: number[] = [];
  const batch = new TurnBatch(() => t.fail('no error expected'));
  for (let i = 0; i < 5; i++) batch.add(() => ran.push(i));
  await Promise.resolve();
  t.same(ran, [], 'not synchronously, not in a microtask');
  await turn();
  t.same(ran, [0, 1, 2, 3, 4]);
});

t.test('an error is reported and the rest of the batch still runs; so do later batches', async (t) => {
  const ran: string[] = [];
  const errors: unknown[] = [];
  const batch = new TurnBatch((err) => errors.push(err));
  batch.add(() => ran.push('a'));
  batch.add(() => {
    throw new Error('boom');
  });
  batch.add(() => ran.push('c'));
  await turn();
  t.same(ran, ['a', 'c']);
  t.equal(errors.length, 1);
  t.match(errors[0], { message: 'boom' });
  batch.add(() => ran.push('d'));
  await turn();
  t.same(ran, ['a', 'c', 'd'], 'the next turn flushes again');
});

t.test('a callback added while a batch runs waits for the next turn', async (t) => {
  const ran: string[] = [];
  const batch = new TurnBatch(() => t.fail('no error expected'));
  batch.add(() => {
    ran.push('first');
    batch.add(() => ran.push('added during the flush'));
  });
  await turn();
  t.same(ran, ['first']);
  await turn();
  t.same(ran, ['first', 'added during the flush']);
});
