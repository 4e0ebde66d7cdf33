import { Emitter } from '@jil/common/event/emitter.js';

/** Removes the listener it was returned for. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/** A listener of an event whose payload is the argument list `A`. */
export type Listener<A extends unknown[]> = (...args: A) => unknown;

/** Subscribe by calling it with a listener; it returns the {@link Unsubscribe} function. */
export type Event<A extends unknown[]> = (listener: Listener<A>) => Unsubscribe;

/**
 * One event of a Connback. Each listener runs inside its own try/catch, so a throwing listener
 * breaks neither the caller nor the listeners after it; what it threw goes to `onListenerError`.
 * (The `@jil` emitter alone would re-throw it on a timer, as an uncaught exception.)
 */
export class EventChannel<A extends unknown[]> {
  readonly #emitter = new Emitter<A>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  readonly event: Event<A> = (listener) =>
    this.#emitter.event((args: A) => {
      try {
        listener(...args);
      } catch (error) {
        this.#onListenerError(error);
      }
    });

  /** Calls every listener with `args`; allocates nothing when nobody listens. */
  fire(...args: A): void {
    if (this.#emitter.hasListeners()) this.#emitter.emit(args);
  }

  /** True when at least one listener is subscribed. */
  get listening(): boolean {
    return this.#emitter.hasListeners();
  }
}
