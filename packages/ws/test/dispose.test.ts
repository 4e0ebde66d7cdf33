import { asyncDisposeSymbol, type ConnbackStatus } from '@connback/core';
import { describe, expect, it } from 'vitest';
import { createWsConnback, ReconnectingWebSocket, type WebSocketLike } from '../src/index.js';
import { quick, startWsServer, waitFor } from './support/servers.js';

describe('ws: await using, using and status()', () => {
  it('await using createWsConnback(…): at the block exit the socket is CLOSED and the server saw a 1000 close', async () => {
    const server = await startWsServer();
    try {
      let socket: WebSocketLike | undefined;
      {
        await using ws = createWsConnback(server.url, quick());
        socket = await ws.connback.ready();
      }
      expect(socket.readyState).toBe(3);
      await waitFor(() => server.last().closed !== undefined, 'the server to see the close');
      expect(server.last().closed?.code).toBe(1000);
    } finally {
      await server.close();
    }
  });

  it('using createWsConnback(…): ended at the block exit, without waiting for the close handshake', async () => {
    const server = await startWsServer();
    try {
      let socket: WebSocketLike | undefined;
      let state = '';
      {
        using ws = createWsConnback(server.url, quick());
        socket = await ws.connback.ready();
        ws.connback.onend(() => {
          state = ws.connback.state;
        });
      }
      expect(state).toBe('ended');
      expect(socket.readyState).toBe(2);
      await waitFor(() => socket?.readyState === 3, 'the socket to close');
    } finally {
      await server.close();
    }
  });

  it('WsConnback.status() is the Connback’s: connect, then a drop, and end finishes it', async () => {
    const server = await startWsServer();
    const ws = createWsConnback(server.url, quick({ minUptime: 0 }));
    const seen: ConnbackStatus<WebSocketLike>['type'][] = [];
    try {
      let connects = 0;
      for await (const event of ws.status()) {
        seen.push(event.type);
        if (event.type !== 'connect') continue;
        connects += 1;
        if (connects === 1) server.last().socket.terminate();
        else ws.end();
      }
      // A terminated connection closes with 1006: an error, then the close.
      expect(seen.filter((type) => type !== 'state')).toEqual([
        'connect',
        'error',
        'close',
        'offline',
        'reconnect',
        'connect',
        'close',
        'end',
      ]);
    } finally {
      ws.end();
      await server.close();
    }
  });

  it('ReconnectingWebSocket: using closes at the block exit; [asyncDispose] after it waits for the sockets', async () => {
    const server = await startWsServer();
    try {
      let socket: ReconnectingWebSocket | undefined;
      {
        using rws = new ReconnectingWebSocket(server.url, quick());
        socket = rws;
        await rws.connback.ready();
      }
      expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSING);
      expect(socket.connback.state).toBe('ended');
      await socket[asyncDisposeSymbol]();
      expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
      expect(server.last().closed?.code).toBe(1000);
    } finally {
      await server.close();
    }
  });
});
