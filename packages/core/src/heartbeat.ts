import type { RttStats } from './stats.js';
import type { Timers } from './timers.js';

/** `#rttLast` before the first answer. */
const NONE_YET = -1;
/** `#rttLast` of a heartbeat whose pings are not sent: nothing answers them. */
const UNMEASURED = -2;

/**
 * What a {@link Heartbeat} asks of its owner about the client it watches. It gets the owner as an
 * argument, so one host object can serve every Connback: a connection costs no closures.
 */
export interface HeartbeatHost<O, C> {
  /**
   * Time to send a ping to `client`. `late` is how many ms after it was due the timer fired: the
   * owner may treat a large value as a wake-up and {@link Heartbeat.probe} at once.
   */
  ping(owner: O, client: C, late: number): void;
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
 * Heartbeats and postponements only record a time (the first heartbeat after a ping also its
 * round trip): the timer is re-armed lazily when it fires, so feeding every chunk of data as a
 * heartbeat costs no timer operation.
 */
export class Heartbeat<O, C> {
  // Fields are few on purpose: a heartbeat lives as long as its connection, and 10,000 idle
  // connections hold 10,000 of them. What follows from the period is computed when needed.
  readonly #period: number;
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
  /** When the ping that is out must have been answered. */
  #deadline = 0;
  /** The ping that is out is a probe (its deadline is short): another probe sends nothing. */
  #probing = false;
  /** When the timer was due, to tell how late it fired. */
  #dueAt = 0;
  /** Started deferred, its timer not armed yet (see `arrive`). */
  #arriving = false;
  // The round trips, in whole ms (NONE_YET, or UNMEASURED when the owner sends no pings). The
  // smoothed one is kept times 8, as TCP stacks keep SRTT: an integer, so the field stays a
  // small integer and an update allocates nothing.
  #rttLast = NONE_YET;
  #rttMin = -1;
  #srtt8 = 0;

  /**
   * `measures`: the pings reach the peer, so the heartbeat after each is its answer (round trips
   * are kept); without it a ping is a deadline only and no round trip is recorded.
   */
  constructor(
    periodMs: number,
    host: HeartbeatHost<O, C>,
    owner: O,
    client: C,
    timers: Timers,
    measures = true,
  ) {
    this.#period = periodMs;
    if (!measures) this.#rttLast = UNMEASURED;
    this.#host = host;
    this.#owner = owner;
    this.#client = client;
    this.#timers = timers;
  }

  /**
   * Starts watching a connection that just opened (opening counts as a heartbeat). `deferred`:
   * the timer is armed later, by {@link Heartbeat.arrive} (the wake watcher's next tick), so a
   * connection that ends before then never makes one.
   */
  start(deferred = false): void {
    const now = this.#timers.now();
    this.#running = true;
    this.#lastBeat = now;
    this.#lastSend = now;
    this.#pingSentAt = undefined;
    this.#arriving = deferred;
    if (deferred) this.#dueAt = now + this.#period;
    else this.#arm(this.#period);
  }

  /** Still waiting for {@link Heartbeat.arrive}. */
  get arriving(): boolean {
    return this.#arriving;
  }

  /**
   * Arms the timer a deferred start left out, for when the first tick was due; a tick already
   * overdue (the arrival came late) runs now, as its timer would have. False when not arriving.
   */
  arrive(): boolean {
    if (!this.#arriving) return false;
    this.#arriving = false;
    // A probe armed the timer meanwhile, or stop() ended the heartbeat.
    if (!this.#running || this.#pending) return true;
    const wait = this.#dueAt - this.#timers.now();
    if (wait > 0) this.#arm(wait);
    else this.#wake();
    return true;
  }

  /**
   * The peer showed it is alive. Returns the ms since the ping when this is the first heartbeat
   * after one (its answer: a round trip, recorded unless the pings are not sent), else -1.
   */
  beat(): number {
    const now = this.#timers.now();
    const sent = this.#pingSentAt;
    this.#lastBeat = now;
    this.#pingSentAt = undefined;
    this.#probing = false;
    if (sent === undefined) return -1;
    const rtt = now - sent;
    const last = this.#rttLast;
    if (last === UNMEASURED) return rtt;
    // RFC 6298's SRTT update, alpha 1/8, on SRTT × 8.
    if (last === NONE_YET) {
      this.#rttMin = rtt;
      this.#srtt8 = rtt * 8;
    } else {
      if (rtt < this.#rttMin) this.#rttMin = rtt;
      this.#srtt8 += rtt - Math.floor(this.#srtt8 / 8);
    }
    this.#rttLast = rtt;
    return rtt;
  }

  /** The round trips measured so far; undefined until a ping was answered. */
  get rtt(): RttStats | undefined {
    if (this.#rttLast < 0) return undefined;
    return { last: this.#rttLast, min: this.#rttMin, smoothed: this.#srtt8 / 8 };
  }

  /** True while a probe is out and unanswered. */
  get probing(): boolean {
    return this.#probing;
  }

  /**
   * Pings now and declares the peer dead unless a heartbeat comes within `deadlineMs` (at most
   * the ping deadline already running). A probe already out is not sent again: no storm.
   * False when stopped.
   */
  probe(deadlineMs: number): boolean {
    if (!this.#running) return false;
    if (this.#probing) return true;
    const now = this.#timers.now();
    this.#probing = true;
    if (this.#timer !== undefined) {
      this.#timers.clear(this.#timer);
      this.#timer = undefined;
    }
    // A ping that went out less than a probe deadline ago is the probe: only its deadline moves.
    if (this.#pingSentAt !== undefined && now - this.#pingSentAt < deadlineMs) {
      this.#deadline = Math.min(this.#deadline, now + deadlineMs);
      this.#arm(this.#deadline - now);
      return true;
    }
    this.#pingSentAt = now;
    this.#lastSend = now;
    this.#deadline = now + deadlineMs;
    this.#arm(deadlineMs);
    this.#host.ping(this.#owner, this.#client, 0);
    return true;
  }

  /** Other traffic was sent: the next ping may wait, the dead-peer deadline does not. */
  postpone(): void {
    if (this.#pingSentAt === undefined) this.#lastSend = this.#timers.now();
  }

  /** Stops for good; safe to call twice. */
  stop(): void {
    this.#running = false;
    this.#arriving = false;
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
    this.#dueAt = this.#timers.now() + ms;
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
    const late = now - this.#dueAt;
    if (this.#pingSentAt !== undefined) {
      const deadline = this.#deadline;
      if (now < deadline) {
        this.#arm(deadline - now);
        return;
      }
      // A deadline that passed while nothing ran (the process was stopped, the page throttled)
      // proves nothing: the answer may be waiting to be read. Ping again instead.
      // A timer this late fired after a pause, not after a busy loop (see `lateBar`).
      if (late < lateBar(this.#period)) {
        this.stop();
        this.#host.dead(this.#owner, this.#client);
        return;
      }
      this.#pingSentAt = undefined;
      this.#probing = false;
      this.#lastSend = 0;
    }
    const due = Math.min(this.#lastSend, this.#lastBeat) + this.#period;
    // A timer runs on the event loop's clock, taken when the loop woke; the last ping's time was
    // taken when its callback ran, later by however long the loop was busy first (up to ~100 ms
    // with 10,000 heartbeats due together). So the timer may fire a little before `due`. A ping
    // due that soon goes now, instead of arming a short timer (a new timer object and timer
    // list, then a second wake-up): pings may leave up to an eighth of a period early, which
    // only tightens the dead-peer bound.
    if (due - now > earlyPing(this.#period)) {
      this.#arm(due - now);
      return;
    }
    this.#pingSentAt = now;
    this.#lastSend = now;
    this.#deadline = now + this.#period;
    this.#host.ping(this.#owner, this.#client, late);
    // The ping may have ended the connection (a throwing ping counts as a failed heartbeat).
    if (this.#running && !this.#pending) this.#arm(this.#period);
  }
}

/** How early (ms) a ping may go (see `#wake`): an eighth of the period, at most a second. */
function earlyPing(periodMs: number): number {
  return Math.min(Math.floor(periodMs / 8), 1000);
}

/**
 * How late (ms) a timer must fire to count as a pause rather than a busy event loop: half a
 * keepalive period, at least a second. A shorter pause leaves the keepalive's bound about where
 * it was, and a loaded process (10,000 connections, a long GC) is often a second late: reacting
 * to that would probe every connection at once.
 */
export function lateBar(periodMs: number): number {
  return Math.max(1000, periodMs / 2);
}
