import { Channels } from './channels.js';
import type { Connback } from './connback.js';
import { type DiagnosticsChannel, diagnostics, publish } from './diagnostics.js';
import type { EventChannel } from './events.js';
import { Outbox } from './outbox.js';
import type { ConnbackState } from './state.js';
import { trace } from './trace.js';
import { quiet } from './waiters.js';

/**
 * The order of things: what a Connback announces and when, and when a call takes effect.
 *
 * A transition posts its announcements to the {@link Outbox} before it runs any user code, then
 * delivers them. A call into the Connback (from a listener, the connector, a token listener...)
 * first pays what is owed — delivers what is pending — then takes effect at once, so it never
 * overtakes what the transition it interrupted announces. Calls made while a call is paying, or
 * while `end()` runs, or while calls already wait, wait their turn: they take effect after it,
 * in the order they were made. So effects happen in the order of the calls, and an `end()` is
 * undone only by a `reconnect()` called after it.
 */
export abstract class Announcer<T> {
  #events: Channels<T> | undefined;
  /** Held only while deliveries are pending. */
  #outbox: Outbox | undefined;
  /** Calls waiting their turn, oldest first. */
  #waiting: (() => void)[] | undefined;

  /** Reports what user code threw (the sink of every channel but `onerror`). */
  abstract reportThrown(thrown: unknown, what?: string): void;

  /** True while `end()` runs: calls made then wait until onend fired. */
  protected abstract get ending(): boolean;

  /** The Connback, for the messages of the diagnostics channels. */
  protected abstract get connback(): Connback<T>;

  /** The channels, made when an event is first read. */
  get events(): Channels<T> {
    this.#events ??= new Channels<T>(this);
    return this.#events;
  }

  /** The channels if any event was read: firing an event nobody read costs a field read. */
  protected get channels(): Channels<T> | undefined {
    return this.#events;
  }

  /** The `onerror` channel, if someone listens: a report nobody hears is not built. */
  protected get heard(): EventChannel<[Error]> | undefined {
    const channel = this.#events?.error;
    return channel?.listening ? channel : undefined;
  }

  // Posts an event to the listeners it has now; nothing, not even its argument list, when nobody
  // listens (one method per arity: a rest parameter would allocate the list on every call).

  protected post0(channel: EventChannel<[]> | undefined): void {
    if (channel?.listening) channel.post(this.#pending(), []);
  }

  protected post1<A>(channel: EventChannel<[A]> | undefined, a: A): void {
    if (channel?.listening) channel.post(this.#pending(), [a]);
  }

  protected post2<A, B>(channel: EventChannel<[A, B]> | undefined, a: A, b: B): void {
    if (channel?.listening) channel.post(this.#pending(), [a, b]);
  }

  /** Posts another call owed to user code (settling the waiting promises). */
  protected postCall<A, B>(deliver: (a: A, b: B) => void, a: A, b: B): void {
    this.#pending().post(deliver, a, b, undefined);
  }

  /**
   * Posts a `diagnostics_channel` publish, delivered in its turn like a listener: a subscriber
   * that calls back into the Connback finds the state its message tells of.
   */
  protected publishLater(channel: DiagnosticsChannel, message: unknown): void {
    this.#pending().post(publish, channel, message, undefined);
  }

  /** Posts `onstatechange` (and `connback:state`). */
  protected announceState(from: ConnbackState, to: ConnbackState): void {
    if (trace.enabled) trace('%s → %s', from, to);
    if (diagnostics?.state.hasSubscribers) {
      this.publishLater(diagnostics.state, { connback: this.connback, from, to });
    }
    const channel = this.channels?.state;
    if (channel?.listening) this.post1(channel, { from, to });
  }

  /** Posts `onclose` (and `connback:close`). */
  protected announceClose(hasError: boolean): void {
    if (diagnostics?.close.hasSubscribers) {
      this.publishLater(diagnostics.close, { connback: this.connback, hasError });
    }
    this.post1(this.channels?.close, hasError);
  }

  /** Posts `onerror` (and `connback:error`). */
  protected announceError(error: Error): void {
    if (diagnostics?.error.hasSubscribers) {
      this.publishLater(diagnostics.error, { connback: this.connback, error });
    }
    this.post1(this.channels?.error, error);
  }

  /** Delivers what is pending, in order, and what those deliveries post meanwhile. */
  deliver(): void {
    const outbox = this.#outbox;
    if (outbox === undefined) return;
    outbox.flush();
    this.#handBack(outbox);
  }

  /** The outermost delivery hands the outbox back; a nested one, or one a pay waits on, keeps it. */
  #handBack(outbox: Outbox): void {
    if (outbox.idle && this.#outbox === outbox) {
      this.#outbox = undefined;
      outbox.give();
    }
  }

  /** True when a call made now must wait its turn (`wait`) instead of taking effect. */
  protected get busy(): boolean {
    return (
      (this.#outbox !== undefined && this.#outbox.paying > 0) ||
      (this.#waiting !== undefined && this.#waiting.length > 0) ||
      this.ending
    );
  }

  /** What a call does before it takes effect: deliver what is owed; calls made meanwhile wait. */
  protected pay(): void {
    const outbox = this.#outbox;
    if (outbox === undefined) return;
    outbox.paying += 1;
    try {
      outbox.flush();
    } finally {
      outbox.paying -= 1;
    }
    this.#handBack(outbox);
  }

  /** Queues a call that must wait its turn; `next()` runs it. */
  protected wait(call: () => void): void {
    this.#waiting ??= [];
    this.#waiting.push(call);
  }

  /** The same for a call that returns a promise: the promise returned now follows it. */
  protected waitPromise<R>(call: () => Promise<R>): Promise<R> {
    return quiet(
      new Promise<R>((resolve, reject) => {
        this.wait(() => {
          call().then(resolve, reject);
        });
      }),
    );
  }

  /** After a call took effect: the calls that waited for it take effect, in order. */
  protected next(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    for (let call = waiting.shift(); call !== undefined; call = waiting.shift()) call();
  }

  #pending(): Outbox {
    this.#outbox ??= Outbox.take();
    return this.#outbox;
  }
}
