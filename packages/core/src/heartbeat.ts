/**
 * What a {@link Heartbeat} asks of its owner, about the client it watches. One host serves every
 * connection of a Connback, so a connection costs no closures of its own.
 */
export interface HeartbeatHost<C> {
  /** Time to send a ping to `client`. */
  ping(client: C): void;
  /** A ping to `client` went unanswered for a whole period: the peer is presumed dead. */
  dead(client: C): void;
}

/** The timer functions a heartbeat uses (injected so connback can unref them). */
export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  now(): number;
}

/**
 * The keepalive of one connection, with one timer.
 *
 * A ping is due one period after the last ping (or `postpone()`), but never later than one period
 * after the last heartbeat; once a ping is out, a heartbeat must arrive within one period or the
 * peer is dead. So with no `postpone()` this pings every period, and whatever `postpone()` does, a
 * peer that went silent is declared dead at most two periods after its last heartbeat.
 *
 * Heartbeats and postponements only record a time: the timer is re-armed lazily when it fires,
 * so feeding every chunk of data as a heartbeat costs no timer operation.
 */
export class Heartbeat<C> {
  readonly #period: number;
  readonly #host: HeartbeatHost<C>;
  readonly #client: C;
  readonly #timers: Timers;
  // Bound once: re-arming the timer every period allocates no closure.
  readonly #onTimer = () => this.#wake();
  #timer: unknown;
  #running = false;
  #lastBeat = 0;
  #lastSend = 0;
  #pingSentAt: number | undefined;

  constructor(periodMs: number, host: HeartbeatHost<C>, client: C, timers: Timers) {
    this.#period = periodMs;
    this.#host = host;
    this.#client = client;
    this.#timers = timers;
  }

  /** Starts watching a connection that just opened (opening counts as a heartbeat). */
  start(): void {
    const now = this.#timers.now();
    this.#running = true;
    this.#lastBeat = now;
    this.#lastSend = now;
    this.#pingSentAt = undefined;
    this.#arm(this.#period);
  }

  /** The peer showed it is alive. */
  beat(): void {
    this.#lastBeat = this.#timers.now();
    this.#pingSentAt = undefined;
  }

  /** Other traffic was sent: the next ping may wait, the dead-peer deadline does not. */
  postpone(): void {
    if (this.#pingSentAt === undefined) this.#lastSend = this.#timers.now();
  }

  /** Stops for good; safe to call twice. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) {
      this.#timers.clear(this.#timer);
      this.#timer = undefined;
    }
  }

  #arm(ms: number): void {
    this.#timer = this.#timers.set(this.#onTimer, Math.max(0, ms));
  }

  #wake(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.#timers.now();
    if (this.#pingSentAt !== undefined) {
      const deadline = this.#pingSentAt + this.#period;
      if (now >= deadline) {
        this.stop();
        this.#host.dead(this.#client);
      } else {
        this.#arm(deadline - now);
      }
      return;
    }
    const due = Math.min(this.#lastSend, this.#lastBeat) + this.#period;
    if (now < due) {
      this.#arm(due - now);
      return;
    }
    this.#pingSentAt = now;
    this.#lastSend = now;
    this.#host.ping(this.#client);
    // The ping may have ended the connection (a throwing ping counts as a failed heartbeat).
    if (this.#running && this.#timer === undefined) this.#arm(this.#period);
  }
}
