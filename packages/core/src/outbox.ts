/** One call a step owes: `deliver(a, b, c)`. Static functions, so posting allocates nothing. */
export type Delivery = (a: never, b: never, c: never) => void;

/**
 * The calls into user code a step owes — the listeners of its events, its waiting promises — in
 * the order they are due (DESIGN.md semantic 15).
 *
 * A step posts what it will announce right after it stores its new state, before it runs any
 * user code (the token's listeners, `connector.close`...), and flushes the outbox after. When
 * that user code calls back into the Connback, the call flushes first: whatever the step owes is
 * delivered before the call takes effect, so nothing the step announces can come after what the
 * call announces (an `onclose` after the `onend` of a nested `end()`), and every listener sees
 * the state its event belongs to. Each listener is a delivery of its own, so the listeners an
 * event has not reached yet are delivered too.
 *
 * Outboxes are pooled: a Connback holds one only while it has deliveries pending.
 */
export class Outbox {
  static readonly #pool: Outbox[] = [];
  /**
   * The last one given back, kept out of the pool: with one outbox in use at a time (the usual
   * case) the pool stays empty, and an array popped empty and pushed again reallocates its storage.
   */
  static #spare: Outbox | undefined;
  /** Four slots per delivery: the function and its three arguments. */
  readonly #slots: unknown[] = [];
  #head = 0;
  #tail = 0;
  /** Nested flushes: only the outermost one may hand the outbox back. */
  #depth = 0;
  /** Flushes a call is making before it takes effect (see `Announcer.pay`). */
  paying = 0;

  static take(): Outbox {
    const spare = Outbox.#spare;
    if (spare === undefined) return Outbox.#pool.pop() ?? new Outbox();
    Outbox.#spare = undefined;
    return spare;
  }

  /** True when nothing is pending and no flush or pay is running: it may go back to the pool. */
  get idle(): boolean {
    return this.#depth === 0 && this.paying === 0 && this.#head === this.#tail;
  }

  give(): void {
    this.#head = 0;
    this.#tail = 0;
    if (Outbox.#spare === undefined) Outbox.#spare = this;
    else Outbox.#pool.push(this);
  }

  post<A, B, C>(deliver: (a: A, b: B, c: C) => void, a: A, b: B, c: C): void {
    const slots = this.#slots;
    const tail = this.#tail;
    slots[tail] = deliver;
    slots[tail + 1] = a;
    slots[tail + 2] = b;
    slots[tail + 3] = c;
    this.#tail = tail + 4;
  }

  /** Delivers what is pending, in order, and what those deliveries post meanwhile. */
  flush(): void {
    this.#depth += 1;
    try {
      const slots = this.#slots;
      while (this.#head < this.#tail) {
        const head = this.#head;
        const deliver = slots[head] as (a: unknown, b: unknown, c: unknown) => void;
        const a = slots[head + 1];
        const b = slots[head + 2];
        const c = slots[head + 3];
        // Cleared before the call: a nested flush continues from the next one.
        slots[head] = slots[head + 1] = slots[head + 2] = slots[head + 3] = undefined;
        this.#head = head + 4;
        deliver(a, b, c);
      }
    } finally {
      this.#depth -= 1;
    }
  }
}
