import type { Connback } from './connback.js';
import type { ConnbackState } from './state.js';

/**
 * The lifecycle on Node's `diagnostics_channel`, for APM tools and loggers that subscribe without
 * patching (as undici's `undici:websocket:*` channels and ioredis' TracingChannels).
 *
 * Core is browser-safe: the module comes from `process.getBuiltinModule` (Node 20.16+, 22.3+),
 * looked up once; where there is none (browsers, older runtimes) nothing is published and every
 * guard is one property read. Each publish is guarded by `hasSubscribers`, so a channel nobody
 * subscribed to builds no message.
 */

/** The part of a `diagnostics_channel` Channel connback uses. */
export interface DiagnosticsChannel {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
  /** Publishes, then runs `fn` with the stores bound to the channel set from `message`. */
  runStores?<R>(message: unknown, fn: () => R): R;
}

/** The five channels of a `diagnostics_channel` TracingChannel. */
export interface TracingChannels {
  readonly start: DiagnosticsChannel;
  readonly end: DiagnosticsChannel;
  readonly asyncStart: DiagnosticsChannel;
  readonly asyncEnd: DiagnosticsChannel;
  readonly error: DiagnosticsChannel;
}

interface DiagnosticsModule {
  channel(name: string): DiagnosticsChannel;
  tracingChannel?(name: string): TracingChannels;
}

/** The channels connback publishes on. */
export interface Diagnostics {
  readonly state: DiagnosticsChannel;
  readonly connect: DiagnosticsChannel;
  readonly close: DiagnosticsChannel;
  readonly error: DiagnosticsChannel;
  readonly ping: DiagnosticsChannel;
  readonly pong: DiagnosticsChannel;
  /** `connback:attempt`; undefined on a runtime without TracingChannel. */
  readonly attempt: TracingChannels | undefined;
}

/** The message of `connback:state`: `onstatechange`'s payload. */
export interface StateMessage {
  /** The Connback whose state changed. */
  readonly connback: Connback<unknown>;
  /** The state it left. */
  readonly from: ConnbackState;
  /** The state it entered. */
  readonly to: ConnbackState;
}

/** The message of `connback:connect`: `onconnect`'s arguments. */
export interface ConnectMessage {
  /** The Connback that connected. */
  readonly connback: Connback<unknown>;
  /** The live client. */
  readonly client: unknown;
  /** False for the first connect of this Connback, true for every later one. */
  readonly reconnect: boolean;
  /** Number of the attempt that connected, within its outage (1 for the first). */
  readonly attempt: number;
  /** The endpoint connected to, when the connector names it (credentials redacted). */
  readonly endpoint: string | undefined;
}

/** The message of `connback:close`. */
export interface CloseMessage {
  /** The Connback whose live connection closed. */
  readonly connback: Connback<unknown>;
  /** True when it closed because of an error. */
  readonly hasError: boolean;
}

/** The message of `connback:error`: every error `onerror` gets, whether or not it has listeners. */
export interface ErrorMessage {
  /** The Connback that reports the error. */
  readonly connback: Connback<unknown>;
  /** The error, as `onerror` gets it. */
  readonly error: Error;
}

/** The message of `connback:ping`. */
export interface PingMessage {
  /** The Connback whose keepalive ping goes out. */
  readonly connback: Connback<unknown>;
}

/** The message of `connback:pong`. */
export interface PongMessage {
  /** The Connback whose ping was answered. */
  readonly connback: Connback<unknown>;
  /** Ms from the ping to this heartbeat. */
  readonly rtt: number;
}

/**
 * The context of one attempt on the `connback:attempt` TracingChannel: the same object goes to
 * each of its events (`start`, `end`, then `asyncStart` and `asyncEnd`, with `error` before them
 * when it failed), so a subscriber may keep its span on it.
 */
export interface AttemptContext {
  /** The Connback making the attempt. */
  readonly connback: Connback<unknown>;
  /** The attempt's number within its outage (1 for the first). */
  readonly attempt: number;
  /**
   * The endpoint, credentials redacted: the one an `EndpointPool` of the connector picked while
   * `connect` ran synchronously, else, once connected, what `connector.endpoint(client)` names;
   * else undefined.
   */
  endpoint: string | undefined;
  /** The client, once the attempt connected. */
  result?: unknown;
  /** Why the attempt failed: what `connect` threw or rejected with, the timeout, or the cancellation. */
  error?: unknown;
}

function load(): DiagnosticsModule | undefined {
  try {
    const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const module = process?.getBuiltinModule?.('node:diagnostics_channel') as
      | DiagnosticsModule
      | undefined;
    return typeof module?.channel === 'function' ? module : undefined;
  } catch {
    // A runtime with a getBuiltinModule that throws for this module: no diagnostics there.
    return undefined;
  }
}

function build(module: DiagnosticsModule | undefined): Diagnostics | undefined {
  if (module === undefined) return undefined;
  // Held for the life of the process: Node keeps channels weakly, and a channel nobody holds
  // could be collected between a subscriber's subscribe and connback's publish.
  return {
    state: module.channel('connback:state'),
    connect: module.channel('connback:connect'),
    close: module.channel('connback:close'),
    error: module.channel('connback:error'),
    ping: module.channel('connback:ping'),
    pong: module.channel('connback:pong'),
    attempt:
      typeof module.tracingChannel === 'function'
        ? module.tracingChannel('connback:attempt')
        : undefined,
  };
}

/** connback's channels; undefined where `diagnostics_channel` is not available. */
export const diagnostics: Diagnostics | undefined = build(load());

/**
 * Publishes `message` (an outbox delivery, or a call made at once). Node never lets a subscriber's
 * throw reach the publisher: it is rethrown on the next tick as an uncaught exception. A runtime
 * that did let it through must not break the lifecycle either, so it stops here.
 */
export function publish(channel: DiagnosticsChannel, message: unknown): void {
  try {
    channel.publish(message);
  } catch {
    // See above: the lifecycle goes on; the subscriber's runtime reports its own errors.
  }
}

/** True when some subscriber listens to one of the attempt's channels. */
export function tracing(channels: TracingChannels): boolean {
  return (
    channels.start.hasSubscribers ||
    channels.end.hasSubscribers ||
    channels.asyncStart.hasSubscribers ||
    channels.asyncEnd.hasSubscribers ||
    channels.error.hasSubscribers
  );
}

/**
 * The traced attempt whose `connector.connect` is running now (its synchronous part), so that
 * an {@link EndpointPool} the connector picks from can name the endpoint on its context.
 */
export const connecting: { context: AttemptContext | undefined } = { context: undefined };
