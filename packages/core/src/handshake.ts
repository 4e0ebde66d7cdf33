import type { AttemptToken } from './cancellation.js';
import type { Connector } from './connector.js';
import { follow, promiseOf } from './results.js';

/**
 * A handshake: runs on a client the transport just opened, with the attempt's token, and resolves
 * once the application protocol is ready (MQTT CONNACK, Redis HELLO, graphql-ws
 * connection_ack). A throw or rejection fails the attempt (the connector's `retryable` and the
 * `retry` option decide what follows). It runs within `connectTimeout`: when the token fires the
 * handshake should stop waiting; the client is closed either way.
 * @param client The client the transport just opened.
 * @param token The attempt's token: cancelled on connect timeout, `end()` or `reconnect()`.
 */
export type Handshake<T> = (client: T, token: AttemptToken) => unknown;

/**
 * Runs `handshake` on `client` within the attempt: resolves with the client when it succeeds,
 * rejects with its error, or with the token's reason when the token fires first. On failure the
 * client is closed with `close(client, true)`. For connectors that have no handshake option of
 * their own.
 * @param client The client the transport just opened.
 * @param handshake The handshake to run on it.
 * @param token The attempt's token.
 * @param close Closes the client when the handshake fails; called with the client only.
 * @returns The client, once the handshake resolved.
 */
export function runHandshake<T>(
  client: T,
  handshake: Handshake<T>,
  token: AttemptToken,
  close: (client: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (error: unknown): void => {
      if (done) return;
      done = true;
      unsubscribe();
      if (error === undefined) {
        resolve(client);
        return;
      }
      close(client);
      reject(error);
    };
    let unsubscribe = (): void => {};
    if (token.isCancellationRequested) {
      finish(token.reason);
      return;
    }
    unsubscribe = token.onCancellationRequested(() => finish(token.reason));
    let value: unknown;
    try {
      value = handshake(client, token);
    } catch (thrown) {
      finish(thrown ?? new Error('handshake failed'));
      return;
    }
    const promise = promiseOf(value);
    if (promise === undefined) {
      finish(undefined);
      return;
    }
    follow(
      promise,
      () => finish(undefined),
      (thrown) => finish(thrown ?? new Error('handshake failed')),
    );
  });
}

/**
 * Gives any connector a handshake inside its attempts: `connect` resolves only once `handshake`
 * resolved on the client it opened. Data the transport feeds to connback meanwhile counts as
 * heartbeats; a connector that must route the handshake's bytes away from later listeners does it
 * itself (the TCP and WebSocket connectors have a `handshake` option that does).
 * @param connector The connector to wrap; its optional members are kept.
 * @param handshake Runs on each client `connector.connect` opened, before the attempt resolves.
 * @returns A new connector; `connector` itself is not changed.
 */
export function withHandshake<T>(connector: Connector<T>, handshake: Handshake<T>): Connector<T> {
  const closeForced = (client: T): void => {
    try {
      promiseOf(connector.close(client, true))?.then(undefined, () => {});
    } catch {
      // The attempt fails with the handshake's error; a close that throws adds nothing to it.
    }
  };
  const wrapped: Connector<T> = {
    connect(connback, token) {
      let opened: unknown;
      try {
        opened = connector.connect(connback, token);
      } catch (thrown) {
        return Promise.reject(thrown);
      }
      return Promise.resolve(opened as T).then((client) =>
        runHandshake(client, handshake, token, closeForced),
      );
    },
    close: (client, force) => connector.close(client, force),
  };
  // The optional members keep their receiver: a class connector may use private fields.
  if (connector.ping !== undefined) wrapped.ping = (client) => connector.ping?.(client);
  if (connector.canPing !== undefined) {
    wrapped.canPing = (client) => connector.canPing?.(client) !== false;
  }
  if (connector.retryable !== undefined) {
    wrapped.retryable = (error) => connector.retryable?.(error) !== false;
  }
  if (connector.endpoint !== undefined) wrapped.endpoint = (client) => connector.endpoint?.(client);
  if (connector.readyIn !== undefined) wrapped.readyIn = () => connector.readyIn?.();
  if (connector.endpointStats !== undefined) {
    wrapped.endpointStats = () => connector.endpointStats?.() ?? [];
  }
  return wrapped;
}
