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
 *
 * The usual case, one listener, is held directly: an idle connection pays for no emitter, no set
 * and no wrapper per event. A second listener brings in a `@jil` Emitter, which from then on holds
 * them all (the first moved in ahead of it), so listeners run in the order they subscribed and a
 * listener added while the event fires waits for the next one, as with the emitter alone.
 */
export class EventChannel<A extends unknown[]> {
  #single: Listener<A> | undefined;
  /** Numbers the subscriptions, so a stale unsubscribe never removes a later one. */
  #subscriptions = 0;
  #singleId = 0;
  #emitter: Emitter<A> | undefined;
  /** The single listener after it moved into the emitter, and how to take it out of there. */
  #moved: { id: number; unsubscribe: Unsubscribe } | undefined;
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  readonly event: Event<A> = (listener) => {
    if (this.#emitter === undefined && this.#single === undefined) {
      const id = ++this.#subscriptions;
      this.#single = listener;
      this.#singleId = id;
      return () => this.#unsubscribeSingle(id);
    }
    if (this.#emitter === undefined) {
      this.#emitter = new Emitter<A>();
      const single = this.#single as Listener<A>;
      this.#single = undefined;
      this.#moved = { id: this.#singleId, unsubscribe: this.#subscribe(this.#emitter, single) };
    }
    return this.#subscribe(this.#emitter, listener);
  };

  /** Calls every listener with `args`; allocates nothing when nobody listens. */
  fire(...args: A): void {
    if (this.#emitter !== undefined) {
      if (this.#emitter.hasListeners()) this.#emitter.emit(args);
    } else if (this.#single !== undefined) {
      this.#call(this.#single, args);
    }
  }

  /** True when at least one listener is subscribed. */
  get listening(): boolean {
    return this.#single !== undefined || this.#emitter?.hasListeners() === true;
  }

  #subscribe(emitter: Emitter<A>, listener: Listener<A>): Unsubscribe {
    return emitter.event((args: A) => this.#call(listener, args));
  }

  #unsubscribeSingle(id: number): void {
    if (this.#single !== undefined && this.#singleId === id) {
      this.#single = undefined;
    } else if (this.#moved?.id === id) {
      this.#moved.unsubscribe();
      this.#moved = undefined;
    }
  }

  #call(listener: Listener<A>, args: A): void {
    try {
      listener(...args);
    } catch (error) {
      this.#onListenerError(error);
    }
  }
}
