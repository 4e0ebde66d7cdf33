import { CancellationToken, CancellationTokenSource } from '@jil/common/cancellation.js';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { Connback, type ConnbackOpts, type Connector } from '../src/index.js';
import { advance, flush } from './support/harness.js';

/** A stand-in for `net.Socket`: what the 0.1.7 README connector touches. */
class FakeSocket {
  ended = false;
  readonly written: string[] = [];
  end() {
    this.ended = true;
  }
  write(data: string) {
    this.written.push(data);
  }
}

/**
 * The connector of the 0.1.7 README, as users wrote it: a class with arrow-function members, the
 * token typed as `@jil/common`'s CancellationToken, `close` ignoring `force`.
 */
class ReadmeConnector implements Connector<FakeSocket> {
  readonly sockets: FakeSocket[] = [];

  connect = (_: Connback<FakeSocket>, token: CancellationToken) =>
    new Promise<FakeSocket>((resolve) => {
      const socket = new FakeSocket();
      token.onCancellationRequested(() => socket.end());
      this.sockets.push(socket);
      resolve(socket);
    });

  close = (client: FakeSocket) => client.end();

  ping = (client: FakeSocket) => client.write('hello');
}

/** Every option the 0.1.7 README lists, with its values. */
const readmeOptions: ConnbackOpts = {
  keepalive: 60,
  connectTimeout: 30 * 1000,
  strategy: 'fibonacci',
  jitter: 'full',
  initialDelay: 1000,
  maxDelay: 30 * 1000,
  maxNumOfAttempts: Number.POSITIVE_INFINITY,
  factor: 2,
  delayFirstAttempt: false,
  retry: () => true,
};

describe('the 0.1.7 public API still works as its README used it', () => {
  it('connector class, README options, six events, feeds without a client, getters, end(force)', async () => {
    const connector = new ReadmeConnector();
    const connback = new Connback<FakeSocket>(connector, readmeOptions);
    const seen: string[] = [];
    connback.onconnect((client: FakeSocket) =>
      seen.push(`connect ${connector.sockets.indexOf(client)}`),
    );
    connback.onreconnect(() => seen.push('reconnect'));
    connback.onclose(() => seen.push('close'));
    connback.onerror((error) => seen.push(`error ${error.message}`));
    connback.onoffline(() => seen.push('offline'));
    connback.onend(() => seen.push('end'));
    await flush();
    expect(connback.connected).toBe(true);
    expect(connback.connecting).toBe(false);
    expect(connback.reconnecting).toBe(false);

    // The README wiring: socket events fed without naming the socket.
    connback.feedHeartbeat();
    connback.reschedulePingTimer();
    await advance(60_000);
    expect(connector.sockets[0]?.written).toEqual(['hello']);
    connback.feedHeartbeat();
    connback.feedError(new Error('ECONNRESET'));
    connback.feedClose(true);
    await flush();
    expect(connback.connected).toBe(true);

    expect(connback.end(true)).toBe(connback);
    expect(connback.ending).toBe(true);
    expect(connback.ended).toBe(true);
    expect(connector.sockets.every((s) => s.ended)).toBe(true);
    expect(seen).toEqual([
      'connect 0',
      'error ECONNRESET',
      'close',
      'offline',
      'reconnect',
      'connect 1',
      'close',
      'end',
    ]);
  });

  it('Connback.create and reconnect(token) with a @jil CancellationToken', async () => {
    const connback = Connback.create(new ReadmeConnector(), { ...readmeOptions, keepalive: 0 });
    await flush();
    const source = new CancellationTokenSource();
    const client = await connback.reconnect(source.token);
    expect(connback.client).toBe(client);
    await expect(connback.reconnect(CancellationToken.Cancelled)).rejects.toMatchObject({
      code: 'CONNBACK_CANCELLED',
    });
    connback.end();
  });

  it('keeps the 0.1.7 types: listeners, options alias, reconnect now returning a promise', () => {
    const connback = new Connback(new ReadmeConnector(), { lazyConnect: true });
    expectTypeOf(connback.onconnect).parameter(0).parameter(0).toEqualTypeOf<FakeSocket>();
    expectTypeOf(connback.onclose).parameter(0).parameter(0).toEqualTypeOf<boolean>();
    expectTypeOf(connback.onerror).parameter(0).parameter(0).toEqualTypeOf<Error>();
    expectTypeOf(connback.onend).returns.toEqualTypeOf<() => void>();
    expectTypeOf(connback.end).returns.toEqualTypeOf<typeof connback>();
    expectTypeOf(connback.reconnect).returns.toEqualTypeOf<Promise<FakeSocket>>();
    expectTypeOf(connback.client).toEqualTypeOf<FakeSocket | undefined>();
    expectTypeOf<ConnbackOpts>().toHaveProperty('keepalive');
    connback.end();
  });
});
