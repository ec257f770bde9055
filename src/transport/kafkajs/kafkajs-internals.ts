/**
 * The kafkajs internals rivulet reaches past the public API for, in one
 * place: private modules (protocol encoders, error table, `Broker`) and
 * symbol-keyed private members. kafkajs is pinned at 2.2.x and unmaintained,
 * so none of them will move.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A module of kafkajs's source tree, e.g. `protocol/error.js`. */
export function kafkajsModule<T>(path: string): T {
  return require(`kafkajs/src/${path}`) as T;
}

/** The symbol of a private member (kafkajs keys them by `Symbol('private:Class:name')`). */
export function privateSymbol(o: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(o).find((s) => s.description === description);
}

/** `Broker.prototype`, whose methods every kafkajs client's requests go through. */
export function brokerPrototype(): Record<string | symbol, unknown> {
  return kafkajsModule<{ prototype: Record<string | symbol, unknown> }>('broker/index.js').prototype;
}

/**
 * Replaces kafkajs's `Broker#<method>` by `replacement` for calls made inside
 * the returned runner only (an `AsyncLocalStorage` scope), so other kafkajs
 * users in the process keep kafkajs's own behaviour. The method is wrapped on
 * the first run.
 */
export function scopedBrokerMethod<S, B, A>(
  method: string,
  replacement: (broker: B, store: S, args: A, original: (args: A) => Promise<unknown>) => Promise<unknown>,
): <T>(store: S, call: () => Promise<T>) => Promise<T> {
  const scope = new AsyncLocalStorage<S>();
  let wrapped = false;
  return (store, call) => {
    if (!wrapped) {
      wrapped = true;
      const proto = brokerPrototype();
      const original = proto[method] as (this: B, args: A) => Promise<unknown>;
      proto[method] = async function (this: B, args: A): Promise<unknown> {
        const s = scope.getStore();
        const kafkajsOwn = (a: A): Promise<unknown> => original.call(this, a);
        return s === undefined ? kafkajsOwn(args) : replacement(this, s, args, kafkajsOwn);
      };
    }
    return scope.run(store, call);
  };
}
