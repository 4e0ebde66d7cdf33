import type { Attempt } from './attempt.js';
import type { Cancellable } from './cancellation.js';
import type { Connection } from './connection.js';
import { ConnbackError, ErrorCode, toError } from './errors.js';
import { Transitions } from './transitions.js';
import { refuseToken } from './waiters.js';

/**
 * The state machine behind a {@link Connback}: how each call, each timer and each report of its
 * helpers (the attempt, the connection, the close, the policy) enters the {@link Transitions}.
 * Whatever comes in first delivers what the transition under way still owes, then takes effect.
 */
export class Machine<T> extends Transitions<T> {
  /** The eager start, a microtask after the constructor. */
  autoStart(): void {
    if (this.autoStarting) this.start();
  }

  start(): void {
    this.deliver();
    this.startStep();
  }

  ready(token: Cancellable | undefined): Promise<T> {
    const refused = refuseToken<T>(token);
    if (refused !== undefined) return refused;
    this.deliver();
    return this.readyStep(token);
  }

  reconnect(token: Cancellable | undefined): Promise<T> {
    const refused = refuseToken<T>(token);
    if (refused !== undefined) return refused;
    this.deliver();
    return this.reconnectStep(token);
  }

  end(force: boolean): void {
    this.deliver();
    this.endStep(force);
  }

  reschedulePingTimer(): void {
    this.#liveFor(undefined)?.postpone();
  }

  // A feed names the connection that was live when it was made.
  feedError(error: Error, client: T | undefined): void {
    const live = this.#liveFor(client);
    if (live === undefined) return;
    this.deliver();
    this.dropStep(live, toError(error));
  }

  feedClose(hasError: boolean, client: T | undefined): void {
    const live = this.#liveFor(client);
    if (live === undefined) return;
    this.deliver();
    this.closedStep(live, hasError);
  }

  feedHeartbeat(client: T | undefined): void {
    this.#liveFor(client)?.beat();
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
    if (channel === undefined) return;
    const message = `${what} threw: ${toError(thrown).message}`;
    channel.fire(new ConnbackError(ErrorCode.ListenerFailed, message, { cause: thrown }));
  }

  /** `connector.close` threw or rejected: reported at once. */
  closeFailed(thrown: unknown): void {
    this.heard?.fire(new ConnbackError(ErrorCode.CloseFailed, undefined, { cause: thrown }));
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

  pingDue(connection: Connection<T>): void {
    this.deliver();
    this.pingStep(connection);
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
