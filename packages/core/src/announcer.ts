import { Channels } from './channels.js';
import type { EventChannel } from './events.js';
import { Outbox } from './outbox.js';

/**
 * What a Connback announces, and when: its eight event channels, and the {@link Outbox} through
 * which a transition posts its announcements before it runs any user code, then delivers them.
 * Every call into the Connback delivers what is pending first (`deliver()`), so a call made from
 * user code a transition runs never overtakes what that transition announces.
 */
export abstract class Announcer<T> {
  #events: Channels<T> | undefined;
  /** Held only while deliveries are pending. */
  #outbox: Outbox | undefined;

  /** Reports what user code threw (the sink of every channel but `onerror`). */
  abstract reportThrown(thrown: unknown, what?: string): void;

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

  /** Posts an event to the listeners it has now; nothing when nobody listens. */
  protected post<A extends unknown[]>(channel: EventChannel<A> | undefined, ...args: A): void {
    if (channel?.listening) channel.post(this.#pending(), args);
  }

  /** Posts another call owed to user code (settling the waiting promises). */
  protected postCall<A, B>(deliver: (a: A, b: B) => void, a: A, b: B): void {
    this.#pending().post(deliver, a, b, undefined);
  }

  /** Delivers what is pending, in order; every call in does this first. */
  deliver(): void {
    const outbox = this.#outbox;
    if (outbox === undefined) return;
    outbox.flush();
    // The outermost delivery hands the outbox back; a nested one leaves it to that one.
    if (outbox.idle && this.#outbox === outbox) {
      this.#outbox = undefined;
      outbox.give();
    }
  }

  #pending(): Outbox {
    this.#outbox ??= Outbox.take();
    return this.#outbox;
  }
}
