import type { Connection } from './connection.js';
import { diagnostics } from './diagnostics.js';
import { type EnvironmentSignal, isHidden, isOnline } from './environment.js';
import { ConnbackError, ErrorCode } from './errors.js';
import { lateBar } from './heartbeat.js';
import { MAX_TIMER_DELAY } from './options.js';
import type { InternalState } from './state.js';
import { trace } from './trace.js';
import { type Offline, Transitions } from './transitions.js';
import { MIN_JUMP, type WakeGap, watcherFor } from './wake.js';

/** A wait a wake-up cut short is spread over this window (ms), so a fleet does not retry at once. */
const WAKE_SPREAD = 500;

/**
 * What a Connback decides when time passes or the world changes, on top of the
 * {@link Transitions} that carry each decision out: after a loss, whether and when to try again
 * (the retry predicates, the backoff, the endpoint pool's readiness, the retry budget, the
 * network being down); when a keepalive ping is due or fails; and what a wake-up or a signal of
 * the environment does (DESIGN.md semantics 18-20). Every call into user code here is followed by
 * the same check as in the transitions: go on only while the state is still the one it was.
 */
export abstract class Reactions<T> extends Transitions<T> {
  // The timer's argument is the machine: a backoff wait allocates no callback of its own.
  static #backoffFired(owner: Reactions<unknown>): void {
    const s = owner.current;
    if (s.name !== 'offline' || s.timer === undefined) return;
    s.timer = undefined;
    owner.deliver();
    if (owner.current === s) owner.#retry(s);
  }

  budgetGranted(): void {
    const s = this.current;
    if (s.name !== 'offline' || !s.budgeted) return;
    s.budgeted = false;
    this.deliver();
    if (this.current === s) this.begin(true);
  }

  protected carryOn(offline: Offline, error: Error | undefined, askRetry: boolean): void {
    if (!this.enterOutage(offline)) return;
    if (askRetry && error !== undefined) {
      const allowed = this.policy.allows(error, this.connector, this);
      if (!this.still(offline)) return;
      if (!allowed) {
        this.fail(error, new ConnbackError(ErrorCode.RetryDeclined, undefined, { cause: error }));
        return;
      }
    }
    const exhausted = this.policy.giveUp(error);
    if (exhausted !== undefined) {
      this.fail(exhausted.cause as Error, exhausted);
      return;
    }
    if (!isOnline(this.options.environment, this)) {
      if (!this.still(offline)) return;
      if (trace.enabled) trace('the network is down: waiting for it');
      offline.paused = true;
      return;
    }
    // The connector (an endpoint pool) and the strategy and the jitter may be user code too.
    const readyIn = this.policy.attempts > 0 ? this.#readyIn() : undefined;
    let delay = 0;
    if (readyIn !== 0) {
      delay = this.policy.nextDelay(this, this.timers.now());
      if (readyIn !== undefined && readyIn > delay) delay = Math.ceil(readyIn);
    }
    if (!this.still(offline)) return;
    if (trace.enabled) trace('next attempt in %d ms', delay);
    if (delay === 0) {
      this.#retry(offline);
      return;
    }
    this.counters.nextDelay = delay;
    this.#arm(offline, delay);
  }

  /** Arms the backoff wait; the wake watcher may cut it short. */
  #arm(offline: Offline, delay: number): void {
    offline.timer = this.timers.set(Reactions.#backoffFired, delay, this as Reactions<unknown>);
    watcherFor(this.timers).add(this);
  }

  /** An automatic attempt: now, or when the retry budget grants it. */
  #retry(offline: Offline): void {
    const budget = this.budget;
    if (budget === undefined || budget.take(this)) {
      this.begin(true);
      return;
    }
    offline.budgeted = true;
  }

  /** When the connector's next endpoint is ready (semantic 20): 0 fails over at once. */
  #readyIn(): number | undefined {
    if (this.connector.readyIn === undefined) return undefined;
    try {
      const ms = this.connector.readyIn();
      return typeof ms === 'number' && ms >= 0 ? Math.min(ms, MAX_TIMER_DELAY) : undefined;
    } catch (thrown) {
      this.reportThrown(thrown, "the connector's readyIn");
      return undefined;
    }
  }

  protected pingStep(connection: Connection<T>, late: number): void {
    if (this.current !== connection) return;
    // A keepalive timer that fired this late is a wake-up the watcher may not have seen yet.
    if (
      late >= lateBar(this.options.keepalive * 1000) &&
      !isHidden(this.options.environment, this) &&
      !connection.probing
    ) {
      if (!this.#wakeUp(connection, late, 'probe')) return;
      // The ping below is the probe: only its deadline becomes shorter.
      connection.probe(this.#probeDeadline());
    }
    // The keepalive's hot path: with nobody listening, one field read and one getter.
    const rare = this.channels?.rare;
    if ((rare === undefined || rare.ping === undefined) && !diagnostics?.ping.hasSubscribers) {
      connection.ping(this.connector);
      return;
    }
    // Announced before the connector's code runs (it may answer at once, and its answer's
    // onpong must come after), delivered once it returned.
    if (this.connector.ping !== undefined) {
      if (diagnostics?.ping.hasSubscribers) {
        this.publishLater(diagnostics.ping, { connback: this.connback });
      }
      this.post0(rare?.ping);
    }
    connection.ping(this.connector);
    this.deliver();
  }

  /** A heartbeat answered a ping of `connection` after `rtt` ms: `onpong`, `connback:pong`. */
  protected pongStep(connection: Connection<T>, rtt: number): void {
    if (this.current !== connection) return;
    if (diagnostics?.pong.hasSubscribers) {
      this.publishLater(diagnostics.pong, { connback: this.connback, rtt });
    }
    const channel = this.channels?.rare?.pong;
    if (channel?.listening) this.post1(channel, { rtt });
    this.deliver();
  }

  /** True when someone listens to `onpong` or `connback:pong`: otherwise a pong is not announced. */
  protected get pongHeard(): boolean {
    const pong = this.channels?.rare?.pong;
    return pong?.listening === true || diagnostics?.pong.hasSubscribers === true;
  }

  /** The probe's deadline (ms): `probeTimeout`, at most a keepalive period. */
  #probeDeadline(): number {
    return Math.min(this.options.probeTimeout, this.options.keepalive * 1000);
  }

  protected probeStep(): Promise<number | false> {
    const s = this.current;
    if (s.name !== 'connected') return Promise.resolve(false);
    return s.probed(this.#probeDeadline());
  }

  /** Counts and announces a wake-up; false when a listener moved the state on. */
  #wakeUp(state: InternalState<T>, asleep: number, action: 'probe' | 'retry'): boolean {
    this.counters.wakes += 1;
    if (trace.enabled) trace('wake-up: away %d ms, %s', asleep, action);
    this.post1(this.channels?.rare?.wake, { asleep, action });
    return this.still(state);
  }

  /**
   * The watcher saw a gap. While connected: a pause of half a keepalive (at least a second)
   * probes the connection. While waiting to retry: the wait is cut short, once.
   */
  protected wakeStep(gap: WakeGap): void {
    const late = isHidden(this.options.environment, this) ? 0 : gap.late;
    const asleep = Math.max(late, gap.jump >= MIN_JUMP ? gap.jump : 0);
    if (asleep === 0) return;
    const s = this.current;
    if (s.name === 'connected') {
      if (asleep < lateBar(this.options.keepalive * 1000) || s.probing) return;
      if (this.#wakeUp(s, asleep, 'probe')) s.probe(this.#probeDeadline());
    } else if (s.name === 'offline' && s.timer !== undefined && s.cut !== true) {
      s.cut = true;
      if (!this.#wakeUp(s, asleep, 'retry')) return;
      this.timers.clear(s.timer);
      s.timer = undefined;
      const spread = this.options.jitter === 'none' ? 0 : Math.floor(Math.random() * WAKE_SPREAD);
      // An automatic attempt: the retry budget, if any, still has its say.
      if (spread === 0) this.#retry(s);
      else this.#arm(s, spread);
    }
  }

  /** A signal of the environment (DESIGN.md semantic 19). */
  protected signalStep(signal: EnvironmentSignal): void {
    const s = this.current;
    if (signal === 'hidden') return;
    if (s.name === 'connected') {
      if (trace.enabled) trace('%s: probing the connection', signal);
      s.probe(this.#probeDeadline());
    } else if (s.name === 'offline') {
      if (signal === 'offline') {
        if (s.timer !== undefined) this.timers.clear(s.timer);
        s.timer = undefined;
        // No attempt while offline: a place in the retry budget's queue is given back too.
        if (s.budgeted) {
          s.budgeted = false;
          this.budget?.cancel(this);
        }
        s.paused = true;
        watcherFor(this.timers).delete(this);
      } else if (signal === 'online' && (s.paused === true || s.timer !== undefined)) {
        if (s.timer !== undefined) this.timers.clear(s.timer);
        s.timer = undefined;
        s.paused = false;
        watcherFor(this.timers).delete(this);
        // At once, unless a shared retry budget makes this Connback wait its turn.
        this.#retry(s);
      }
    }
  }

  /** A failed ping is a failed heartbeat; ignored when the connection is no longer live. */
  protected pingFailedStep(connection: Connection<T>, thrown: unknown): void {
    const error = new ConnbackError(ErrorCode.PingFailed, undefined, { cause: thrown });
    this.dropStep(connection, error);
  }

  protected peerDeadStep(connection: Connection<T>): void {
    if (trace.enabled)
      trace('no heartbeat within a keepalive period of the ping: the peer is dead');
    const seconds = this.options.keepalive;
    const error = new ConnbackError(
      ErrorCode.KeepaliveTimeout,
      `no heartbeat within ${seconds} s of a ping (keepalive ${seconds} s)`,
    );
    this.dropStep(connection, error);
  }
}
