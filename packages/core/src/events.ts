import { reportTo, type ThrowSink } from './cancellation.js';
import type { Outbox } from './outbox.js';

/** Removes the listener it was returned for. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/**
 * A listener of an event whose payload is the argument list `A`. What it returns is ignored; a
 * throw is reported through `onerror` as `CONNBACK_LISTENER_FAILED`.
 * @param args The event's payload.
 */
export type Listener<A extends unknown[]> = (...args: A) => unknown;

/**
 * Subscribe by calling it with a listener; it returns the {@link Unsubscribe} function.
 * @param listener Called with the event's payload each time it fires, in subscription order.
 */
export type Event<A extends unknown[]> = (listener: Listener<A>) => Unsubscribe;

/** One subscription among several: its identity tells two subscriptions of one function apart. */
interface Subscription<A extends unknown[]> {
  readonly listener: Listener<A>;
}

/**
 * Numbers the single subscriptions of every channel, so a stale unsubscribe never removes a
 * later one (one counter for all: a channel carries no field for it).
 */
let subscriptions = 0;

/**
 * One event of a Connback. Each listener runs inside its own try/catch, so a throwing listener
 * breaks neither the caller nor the listeners after it; what it threw goes to the sink.
 *
 * The usual case, one listener, is held directly: an idle connection pays for no array and no
 * wrapper per event. Listeners run in the order they subscribed; a listener added while the event
 * is being delivered waits for the next one. An event is delivered either at once (`fire`) or
 * through the state machine's {@link Outbox} (`post`), one delivery per listener, so that a call
 * a listener makes back into the Connback first lets the event reach the listeners after it.
 * (The `@jil` emitter this once used can neither be posted per listener nor resumed.)
 */
export class EventChannel<A extends unknown[]> {
  #single: Listener<A> | undefined;
  #singleId = 0;
  /** Two or more listeners, in order; made at the second subscription, the first moved in. */
  #many: Subscription<A>[] | undefined;
  /** The first listener's record after it moved into `#many`, and its id. */
  #moved: { readonly id: number; readonly subscription: Subscription<A> } | undefined;
  readonly #sink: ThrowSink;

  constructor(sink: ThrowSink) {
    this.#sink = sink;
  }

  /** Delivers one posted call (shared by every channel: the outbox holds no closures). */
  static #deliver(
    channel: EventChannel<unknown[]>,
    listener: Listener<unknown[]>,
    args: unknown[],
  ): void {
    channel.#call(listener, args);
  }

  /**
   * The subscribe function of this channel, made when asked for and not kept: a channel keeps
   * no function of its own (a closure and a context per event listened to, which 10,000
   * Connbacks in one process would each pay). Two reads give two functions that do the same.
   */
  get event(): Event<A> {
    return this.#subscribe.bind(this);
  }

  #subscribe(listener: Listener<A>): Unsubscribe {
    if (this.#many === undefined) {
      if (this.#single === undefined) {
        const id = ++subscriptions;
        this.#single = listener;
        this.#singleId = id;
        return () => this.#unsubscribeSingle(id);
      }
      const first: Subscription<A> = { listener: this.#single };
      this.#moved = { id: this.#singleId, subscription: first };
      this.#single = undefined;
      this.#many = [first];
    }
    const subscription: Subscription<A> = { listener };
    this.#many.push(subscription);
    return () => this.#remove(subscription);
  }

  /** True when at least one listener is subscribed. */
  get listening(): boolean {
    return this.#single !== undefined || (this.#many !== undefined && this.#many.length > 0);
  }

  /** Calls every listener now with `args`; allocates nothing when nobody listens. */
  fire(...args: A): void {
    if (this.#single !== undefined) {
      this.#call(this.#single, args);
    } else if (this.#many !== undefined && this.#many.length > 0) {
      for (const subscription of this.#many.slice()) this.#call(subscription.listener, args);
    }
  }

  /** Posts one delivery of `args` per listener subscribed now. */
  post(outbox: Outbox, args: A): void {
    const deliver = EventChannel.#deliver as (c: this, l: Listener<A>, a: A) => void;
    if (this.#single !== undefined) {
      outbox.post(deliver, this, this.#single, args);
    } else if (this.#many !== undefined) {
      for (const subscription of this.#many)
        outbox.post(deliver, this, subscription.listener, args);
    }
  }

  #unsubscribeSingle(id: number): void {
    if (this.#single !== undefined && this.#singleId === id) {
      this.#single = undefined;
    } else if (this.#moved?.id === id) {
      this.#remove(this.#moved.subscription);
      this.#moved = undefined;
    }
  }

  #remove(subscription: Subscription<A>): void {
    const many = this.#many;
    if (many === undefined) return;
    const at = many.indexOf(subscription);
    if (at >= 0) many.splice(at, 1);
  }

  #call(listener: Listener<A>, args: A): void {
    try {
      listener(...args);
    } catch (error) {
      reportTo(this.#sink, error);
    }
  }
}
