// Wraps a SessionStore to measure every call (latency histogram and error counter by
// operation) without touching the implementations. Each method is wrapped once.
import type { Histogram, Counter } from 'prom-client';
import type { SessionStore } from './types.js';

const UNMEASURED = new Set<PropertyKey>(['subscribe', 'close', 'canServeCached']);

export function instrumentStore(store: SessionStore, latency: Histogram<'op'>, errors: Counter<'op'>): SessionStore {
  const wrappers = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  function wrap(op: PropertyKey, fn: (...a: unknown[]) => unknown): (...args: unknown[]) => unknown {
    if (UNMEASURED.has(op) || typeof op !== 'string') return fn.bind(store);
    const timed = latency.labels(op);
    return (...args: unknown[]) => {
      const end = timed.startTimer();
      return (fn.apply(store, args) as Promise<unknown>).then(
        (r) => {
          end();
          return r;
        },
        (err: unknown) => {
          end();
          errors.inc({ op });
          throw err;
        },
      );
    };
  }
  return new Proxy(store, {
    get(target, prop) {
      // Receiver = the target: getters of classes with #private fields must see the real object.
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      let w = wrappers.get(prop);
      if (!w) wrappers.set(prop, (w = wrap(prop, value as (...a: unknown[]) => unknown)));
      return w;
    },
  });
}
