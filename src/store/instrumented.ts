// Wraps a SessionStore to measure every call (latency histogram and error counter by
// operation) without touching the implementations.
import type { Histogram, Counter } from 'prom-client';
import type { SessionStore } from './types.js';

export function instrumentStore(store: SessionStore, latency: Histogram<'op'>, errors: Counter<'op'>): SessionStore {
  return new Proxy(store, {
    get(target, prop) {
      // Receiver = the target: getters of classes with #private fields must see the real object.
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'subscribe' || prop === 'close' || prop === 'isAvailable' || typeof prop !== 'string') return (value as (...a: unknown[]) => unknown).bind(target);
      const op = prop;
      return (...args: unknown[]) => {
        const end = latency.startTimer({ op });
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).then(
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
    },
  });
}
