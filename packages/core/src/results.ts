/**
 * What the connector's `connect`, `close` and `ping` return, handled as `Promise.resolve` would
 * handle it (DESIGN.md semantic 16): a plain value is a value; a thenable is followed, and a
 * thenable whose `then` throws, or whose `then` getter throws, is a rejection — never a throw in
 * connback's own code, never an uncaught exception.
 */

const nativeThen = Promise.prototype.then;

/**
 * The native promise to follow for `value`, or `undefined` when `value` is not a thenable.
 * A native promise is returned as it is (no allocation on the common path); any other thenable
 * is adopted by `Promise.resolve`, which calls its `then` once, in a job of its own, and keeps
 * the first outcome.
 */
export function promiseOf(value: unknown): Promise<unknown> | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    return undefined;
  }
  try {
    if (typeof (value as { then?: unknown }).then !== 'function') return undefined;
    return Promise.resolve(value);
  } catch (error) {
    // The `then` getter threw, or (for a native promise) its `constructor` getter did.
    return Promise.reject(error);
  }
}

/**
 * Subscribes to a promise from {@link promiseOf} with the built-in `then`, whatever the object's
 * own `then` property says. The callbacks run later, on the microtask queue, never now.
 */
export function follow<V>(
  promise: Promise<unknown>,
  onFulfilled: ((value: V) => void) | undefined,
  onRejected: (reason: unknown) => void,
): void {
  try {
    nativeThen.call(promise, onFulfilled as (value: unknown) => void, onRejected);
  } catch (error) {
    // Only a promise whose `constructor` getter throws gets here.
    nativeThen.call(Promise.reject(error), undefined, onRejected);
  }
}
