// The EventsStore contract (events.ts): messages between instances. Every implementation
// passes it on every backend; Inbox is also used by redis-pubsub.test.ts.
import type { Test } from 'tap';
import type { EventsStore } from '../../src/store/events.js';
import { suite, type MakeStore } from './contract-fixture.js';

/** Collects messages; next() waits for the next one (an event, not a sleep). */
export class Inbox {
  readonly messages: string[] = [];
  #read = 0;
  #wake: (() => void) | null = null;
  readonly push = (m: string): void => {
    this.messages.push(m);
    this.#wake?.();
  };
  /** Resolves with the next unread message; a guard names a lost one instead of tap's file timeout. */
  next(what = 'message'): Promise<string> {
    if (this.#read < this.messages.length) return Promise.resolve(this.messages[this.#read++]!);
    return new Promise((resolve, reject) => {
      const guard = setTimeout(() => {
        this.#wake = null;
        reject(new Error(`no ${what} within 10 s`));
      }, 10_000);
      this.#wake = () => {
        clearTimeout(guard);
        this.#wake = null;
        resolve(this.messages[this.#read++]!);
      };
    });
  }
}

export function runEventsContract(t: Test, name: string, make: MakeStore<EventsStore>): void {
  const test = suite(t, name, 'events', make);
  test('every subscriber gets every message, until it unsubscribes', async (t, { store }) => {
    const [a, b] = [new Inbox(), new Inbox()];
    const offA = await store.subscribe(a.push, () => t.fail('no reconnect expected'));
    const offB = await store.subscribe(b.push, () => t.fail('no reconnect expected'));
    await store.publish('one');
    t.equal(await a.next(), 'one', 'the publisher’s own subscriber too');
    t.equal(await b.next(), 'one');
    await offA();
    await store.publish('two');
    t.equal(await b.next(), 'two');
    t.same(a.messages, ['one'], 'an unsubscribed handler gets nothing more');
    await offB();
  });

  test('a message published on one instance reaches the others', async (t, f) => {
    if (!f.peer) return void t.pass('a single-instance store has no peers');
    const other = await f.peer();
    const inbox = new Inbox();
    await other.subscribe(inbox.push, () => t.fail('no reconnect expected'));
    await f.store.publish('{"t":"sid","id":"sess_x"}');
    t.equal(await inbox.next(), '{"t":"sid","id":"sess_x"}');
    await other.publish('back');
    t.equal(await inbox.next(), 'back');
  });
}
