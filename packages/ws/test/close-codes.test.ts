import { ErrorCode } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { type CloseInfo, createWsConnback, FATAL_CLOSE_CODES, WsCloseError } from '../src/index.js';
import { asCloseError, record } from './support/recorder.js';
import { holdsFor, quick, startWsServer, waitFor } from './support/servers.js';
import { maxOpenAtOnce } from './support/setup.js';

/** Long enough for several reconnects with the quick options (backoff 50-100 ms). */
const NO_RECONNECT_MS = 400;

describe('normal closes 1000 and 1001 (row 6)', () => {
  for (const [code, reason] of [
    [1000, 'bye'],
    [1001, 'going away'],
  ] as const) {
    it(`a server close with ${code}: onclose(false), no error, reconnects; lastClose has the code and reason`, async () => {
      const server = await startWsServer();
      const wsc = createWsConnback(server.url, quick());
      const rec = record(wsc.connback);
      try {
        await waitFor(() => wsc.connback.connected, 'the connection');
        server.last().socket.close(code, reason);
        await waitFor(() => rec.count('connect') === 2, 'the reconnect');
        expect(rec.events()).toEqual([
          'connect',
          'close(false)',
          'offline',
          'reconnect',
          'connect',
        ]);
        expect(rec.errors).toEqual([]);
        expect(wsc.connector.lastClose).toEqual({ code, reason, wasClean: true });
        expect(server.connections).toHaveLength(2);
        expect(server.connections[0]?.closed?.code).toBe(code);
        expect(maxOpenAtOnce()).toBe(1);
      } finally {
        wsc.end(true);
        await server.close();
      }
    });
  }
});

describe('abnormal closes', () => {
  it('a server-side terminate(): onerror with a WsCloseError code 1006, onclose(true), then reconnects', async () => {
    const server = await startWsServer();
    const wsc = createWsConnback(server.url, quick());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      server.last().socket.terminate();
      await waitFor(() => rec.count('connect') === 2, 'the reconnect');
      expect(rec.events()).toEqual([
        'connect',
        'error:CONNBACK_WS_CLOSED',
        'close(true)',
        'offline',
        'reconnect',
        'connect',
      ]);
      const error = rec.errors[0]?.error;
      expect(error).toBeInstanceOf(WsCloseError);
      expect((error as WsCloseError).close).toEqual({ code: 1006, reason: '', wasClean: false });
      expect(error?.message).toBe('WebSocket closed with code 1006');
      expect(wsc.connector.lastClose?.code).toBe(1006);
      expect(rec.failures).toEqual([]);
      expect(maxOpenAtOnce()).toBe(1);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('a close with 4000 (not in FATAL_CLOSE_CODES) is an error and reconnects', async () => {
    const server = await startWsServer();
    const wsc = createWsConnback(server.url, quick());
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      server.last().socket.close(4000, 'try again');
      await waitFor(() => rec.count('connect') === 2, 'the reconnect');
      expect(rec.events()).toEqual([
        'connect',
        'error:CONNBACK_WS_CLOSED',
        'close(true)',
        'offline',
        'reconnect',
        'connect',
      ]);
      expect(asCloseError(rec.errors[0]?.error).close).toEqual({
        code: 4000,
        reason: 'try again',
        wasClean: true,
      });
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});

describe('final closes', () => {
  it('FATAL_CLOSE_CODES holds the protocol, data and policy errors and the 44xx codes', () => {
    expect([...FATAL_CLOSE_CODES].sort()).toEqual(
      [1002, 1003, 1007, 1008, 1009, 1010, 4400, 4401, 4403, 4404].sort(),
    );
  });

  for (const [code, reason] of [
    [1008, 'policy violation'],
    [4401, 'unauthorized'],
  ] as const) {
    it(`a server close with ${code}: onerror WsCloseError with code and reason, onclose(true), then state failed and onfail CONNBACK_RETRY_DECLINED, with no reconnect attempt`, async () => {
      const server = await startWsServer();
      const wsc = createWsConnback(server.url, quick());
      const rec = record(wsc.connback);
      try {
        await waitFor(() => wsc.connback.connected, 'the connection');
        server.last().socket.close(code, reason);
        await waitFor(() => wsc.connback.state === 'failed', 'the Connback to fail');
        expect(rec.events()).toEqual([
          'connect',
          'error:CONNBACK_WS_CLOSED',
          'close(true)',
          'offline',
          `fail:${ErrorCode.RetryDeclined}`,
        ]);
        const error = asCloseError(rec.errors[0]?.error);
        expect(error).toBeInstanceOf(WsCloseError);
        expect(error.code).toBe('CONNBACK_WS_CLOSED');
        expect(error.close).toEqual({ code, reason, wasClean: true });
        expect(error.message).toBe(`WebSocket closed with code ${code}: ${reason}`);
        expect(rec.failures).toHaveLength(1);
        expect(rec.failures[0]?.last).toBe(error);
        expect(rec.failures[0]?.reason.code).toBe(ErrorCode.RetryDeclined);
        expect(rec.failures[0]?.reason.cause).toBe(error);
        expect(wsc.connector.lastClose).toEqual({ code, reason, wasClean: true });
        await holdsFor(
          () => server.connections.length === 1 && wsc.connback.stats.attempts === 1,
          'no reconnect attempt',
          NO_RECONNECT_MS,
        );
        expect(rec.count('reconnect')).toBe(0);
        expect(wsc.connback.state).toBe('failed');
      } finally {
        wsc.end(true);
        await server.close();
      }
    });
  }

  it('a custom shouldReconnect that refuses 1000 stops on a 1000 close (error, onclose(true), onfail) and is asked with the close info', async () => {
    const asked: CloseInfo[] = [];
    const server = await startWsServer();
    const wsc = createWsConnback(
      server.url,
      quick({
        shouldReconnect: (close) => {
          asked.push(close);
          return close.code !== 1000;
        },
      }),
    );
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      server.last().socket.close(1000, 'done');
      await waitFor(() => wsc.connback.state === 'failed', 'the Connback to fail');
      expect(rec.events()).toEqual([
        'connect',
        'error:CONNBACK_WS_CLOSED',
        'close(true)',
        'offline',
        `fail:${ErrorCode.RetryDeclined}`,
      ]);
      expect(asCloseError(rec.errors[0]?.error).close).toEqual({
        code: 1000,
        reason: 'done',
        wasClean: true,
      });
      expect(asked.length).toBeGreaterThanOrEqual(1);
      expect(asked.every((close) => close.code === 1000 && close.reason === 'done')).toBe(true);
      expect(wsc.connector.lastClose).toEqual({ code: 1000, reason: 'done', wasClean: true });
      await holdsFor(
        () => server.connections.length === 1,
        'no reconnect attempt',
        NO_RECONNECT_MS,
      );
    } finally {
      wsc.end(true);
      await server.close();
    }
  });

  it('a custom shouldReconnect that accepts 4401 keeps reconnecting after it', async () => {
    const server = await startWsServer();
    const wsc = createWsConnback(server.url, quick({ shouldReconnect: () => true }));
    const rec = record(wsc.connback);
    try {
      await waitFor(() => wsc.connback.connected, 'the connection');
      server.last().socket.close(4401, 'unauthorized');
      await waitFor(() => rec.count('connect') === 2, 'the reconnect');
      expect(rec.codes()).toEqual(['CONNBACK_WS_CLOSED']);
      expect(rec.failures).toEqual([]);
    } finally {
      wsc.end(true);
      await server.close();
    }
  });
});
