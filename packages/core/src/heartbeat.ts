import type { Timers } from './timers.js';

/**
 * What a {@link Heartbeat} asks of its owner about the client it watches. It gets the owner as an
 * argument, so one host object can serve every Connback: a connection costs no closures.
 */
export interface HeartbeatHost<O, C> {
  /** Time to send a ping to `client`. */
  ping(owner: O, client: C): void;
  /** A ping to `client` went unanswered for a whole period: the peer is presumed dead. */
  dead(owner: O, client: C): void;
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
export class Heartbeat<O, C> {
  readonly #period: number;
  /** How early a ping may go (see #wake): an eighth of the period, at most a second. */
  readonly #earlyPing: number;
  readonly #host: HeartbeatHost<O, C>;
  readonly #owner: O;
  readonly #client: C;
  readonly #timers: Timers;
  /** The one timer of this heartbeat; after it fires it is refreshed rather than replaced. */
  #timer: unknown;
  #timerMs = 0;
  #pending = false;
  #running = false;
  #lastBeat = 0;
  #lastSend = 0;
  #pingSentAt: number | undefined;

  constructor(periodMs: number, host: HeartbeatHost<O, C>, owner: O, client: C, timers: Timers) {
    this.#period = periodMs;
    this.#earlyPing = Math.min(Math.floor(periodMs / 8), 1000);
    this.#host = host;
    this.#owner = owner;
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
    this.#pending = false;
    if (this.#timer !== undefined) {
      this.#timers.clear(this.#timer);
      this.#timer = undefined;
    }
  }

  /** The timer callback, shared by every heartbeat (the heartbeat comes as the argument). */
  static #fire(heartbeat: Heartbeat<unknown, unknown>): void {
    heartbeat.#wake();
  }

  #arm(delay: number): void {
    const ms = Math.max(0, delay);
    this.#pending = true;
    // The steady state (a ping every period) re-arms the same duration: no new timer object.
    if (this.#timer !== undefined && ms === this.#timerMs && this.#timers.refresh(this.#timer)) {
      return;
    }
    this.#timer = this.#timers.set(Heartbeat.#fire, ms, this);
    this.#timerMs = ms;
  }

  #wake(): void {
    this.#pending = false;
    if (!this.#running) return;
    const now = this.#timers.now();
    if (this.#pingSentAt !== undefined) {
      const deadline = this.#pingSentAt + this.#period;
      if (now >= deadline) {
        this.stop();
        this.#host.dead(this.#owner, this.#client);
      } else {
        this.#arm(deadline - now);
      }
      return;
    }
    const due = Math.min(this.#lastSend, this.#lastBeat) + this.#period;
    // A timer runs on the event loop's clock, taken when the loop woke; the last ping's time was
    // taken when its callback ran, later by however long the loop was busy first (up to ~100 ms
    // with 10,000 heartbeats due together). So the timer may fire a little before `due`. A ping
    // due that soon goes now, instead of arming a short timer (a new timer object and timer
    // list, then a second wake-up): pings may leave up to an eighth of a period early, which
    // only tightens the dead-peer bound.
    if (due - now > this.#earlyPing) {
      this.#arm(due - now);
      return;
    }
    this.#pingSentAt = now;
    this.#lastSend = now;
    this.#host.ping(this.#owner, this.#client);
    // The ping may have ended the connection (a throwing ping counts as a failed heartbeat).
    if (this.#running && !this.#pending) this.#arm(this.#period);
  }
}
