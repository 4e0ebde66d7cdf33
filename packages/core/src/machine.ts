import type { Attempt } from './attempt.js';
import type { Cancellable } from './cancellation.js';
import type { Connection } from './connection.js';
import { diagnostics, publish } from './diagnostics.js';
import type { EnvironmentSignal } from './environment.js';
import { ConnbackError, ErrorCode, toError } from './errors.js';
import type { EventChannel } from './events.js';
import type { EndpointStats } from './pool.js';
import { Reactions } from './reactions.js';
import type { ConnbackStats } from './stats.js';
import { refuseToken } from './waiters.js';
import type { WakeGap } from './wake.js';

/**
 * The state machine behind a {@link Connback}: how each call, each timer and each report of its
 * helpers (the attempt, the connection, the close, the policy) enters the {@link Reactions} and {@link Transitions}.
 * Whatever comes in first delivers what the transition under way still owes, then takes effect.
 */
export class Machine<T> extends Reactions<T> {
  /** The eager start, a microtask after the constructor. */
  autoStart(): void {
    if (this.autoStarting) this.start();
  }

  // Each call waits its turn when it must (a call that waited runs the second method itself,
  // so it never queues again behind the calls after it), then pays what is owed, takes effect,
  // and lets the calls that waited for it take effect.

  start(): void {
    if (this.busy) this.wait(() => this.#start());
    else this.#start();
  }

  #start(): void {
    this.pay();
    this.startStep();
    this.next();
  }

  ready(token: Cancellable | undefined): Promise<T> {
    const refused = refuseToken<T>(token);
    if (refused !== undefined) return refused;
    return this.busy ? this.waitPromise(() => this.#ready(token)) : this.#ready(token);
  }

  #ready(token: Cancellable | undefined): Promise<T> {
    this.pay();
    const promise = this.readyStep(token);
    this.next();
    return promise;
  }

  reconnect(token: Cancellable | undefined): Promise<T> {
    const refused = refuseToken<T>(token);
    if (refused !== undefined) return refused;
    return this.busy ? this.waitPromise(() => this.#reconnect(token)) : this.#reconnect(token);
  }

  #reconnect(token: Cancellable | undefined): Promise<T> {
    this.pay();
    const promise = this.reconnectStep(token);
    this.next();
    return promise;
  }

  end(force: boolean): void {
    if (this.busy) this.wait(() => this.#end(force));
    else this.#end(force);
  }

  #end(force: boolean): void {
    this.pay();
    this.endStep(force);
    this.next();
  }

  /** A snapshot of the counters; the connector's `endpointStats` is user code, guarded. */
  stats(): ConnbackStats {
    let endpoints: readonly EndpointStats[] | undefined;
    if (this.connector.endpointStats !== undefined) {
      try {
        endpoints = this.connector.endpointStats();
      } catch (thrown) {
        this.reportThrown(thrown, "the connector's endpointStats");
      }
    }
    return this.counters.snapshot(this.current, this.policy.attempts, this.timers, endpoints);
  }

  reschedulePingTimer(): void {
    this.#liveFor(undefined)?.postpone();
  }

  // A feed names the connection that was live when it was made, even when it waits its turn.
  feedError(error: Error, client: T | undefined): void {
    const live = this.#liveFor(client);
    if (live !== undefined) this.#feed(this.dropStep, live, toError(error));
  }

  feedClose(hasError: boolean, client: T | undefined): void {
    const live = this.#liveFor(client);
    if (live !== undefined) this.#feed(this.closedStep, live, hasError);
  }

  #feed<A>(step: (live: Connection<T>, a: A) => void, live: Connection<T>, a: A): void {
    if (this.busy) this.wait(() => this.#fed(step, live, a));
    else this.#fed(step, live, a);
  }

  #fed<A>(step: (live: Connection<T>, a: A) => void, live: Connection<T>, a: A): void {
    this.pay();
    step.call(this, live, a);
    this.next();
  }

  probe(): Promise<number | false> {
    return this.busy ? this.waitPromise(() => this.#probe()) : this.#probe();
  }

  #probe(): Promise<number | false> {
    this.pay();
    const promise = this.probeStep();
    this.next();
    return promise;
  }

  /** The environment's signal; it may come from inside user code (a listener dispatching it). */
  signaled(signal: EnvironmentSignal): void {
    if (this.busy) this.wait(() => this.#signaled(signal));
    else this.#signaled(signal);
  }

  #signaled(signal: EnvironmentSignal): void {
    this.pay();
    this.signalStep(signal);
    this.next();
  }

  /** The wake watcher saw a gap (from its timer, never from inside a transition). */
  woke(gap: WakeGap): void {
    this.deliver();
    this.wakeStep(gap);
  }

  feedHeartbeat(client: T | undefined): void {
    const live = this.#liveFor(client);
    if (live === undefined) return;
    // The beat counts at once; only its announcement (if anyone hears it) waits its turn.
    const rtt = live.beat();
    // Without a ping method nothing went out: the beat answers no ping.
    if (rtt < 0 || !this.pongHeard || this.connector.ping === undefined) return;
    if (this.busy) this.wait(() => this.#ponged(live, rtt));
    else this.#ponged(live, rtt);
  }

  #ponged(live: Connection<T>, rtt: number): void {
    this.pay();
    this.pongStep(live, rtt);
    this.next();
  }

  /** The live connection, if `client` is its client or not given. */
  #liveFor(client: T | undefined): Connection<T> | undefined {
    const s = this.current;
    return s.name === 'connected' && (client === undefined || client === s.client) ? s : undefined;
  }

  /**
   * Reports what user code threw through `onerror`, at once (it is not part of any transition's
   * announcement); built only if someone listens.
   */
  reportThrown(thrown: unknown, what = 'an event listener'): void {
    const channel = this.heard;
    const published = diagnostics?.error.hasSubscribers === true;
    if (channel === undefined && !published) return;
    const message = `${what} threw: ${toError(thrown).message}`;
    this.#reportNow(
      channel,
      new ConnbackError(ErrorCode.ListenerFailed, message, { cause: thrown }),
    );
  }

  /** `connector.close` threw or rejected: reported at once. */
  closeFailed(thrown: unknown): void {
    const channel = this.heard;
    if (channel === undefined && diagnostics?.error.hasSubscribers !== true) return;
    this.#reportNow(
      channel,
      new ConnbackError(ErrorCode.CloseFailed, undefined, { cause: thrown }),
    );
  }

  /** An error no transition announces: to `connback:error` and the `onerror` listeners, at once. */
  #reportNow(channel: EventChannel<[Error]> | undefined, error: Error): void {
    if (diagnostics?.error.hasSubscribers) {
      publish(diagnostics.error, { connback: this.connback, error });
    }
    channel?.fire(error);
  }

  /** Connect gave a client or an error: at once, inside `#begin`, or later from its promise. */
  settled(attempt: Attempt<T>, client: T | undefined, error: Error | undefined): void {
    this.deliver();
    if (error === undefined) this.connectGave(attempt, client);
    else this.attemptRefused(attempt, error);
  }

  timedOut(attempt: Attempt<T>): void {
    this.deliver();
    const ms = this.options.connectTimeout;
    const error = new ConnbackError(ErrorCode.ConnectTimeout, `connect timed out after ${ms} ms`);
    this.timedOutStep(attempt, error);
  }

  pingDue(connection: Connection<T>, late: number): void {
    this.deliver();
    this.pingStep(connection, late);
  }

  /** The ping threw (inside the tick) or rejected (later). */
  pingFailed(connection: Connection<T>, thrown: unknown): void {
    this.deliver();
    this.pingFailedStep(connection, thrown);
  }

  peerDead(connection: Connection<T>): void {
    this.deliver();
    this.peerDeadStep(connection);
  }
}
