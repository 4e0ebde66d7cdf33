// @connback/core 0.1.7 with the TCP connector of its README (completed where the README is cut).
import net from 'node:net';
import { Connback } from 'connback-0.1.7';
import eventBind from 'event-bind';
import { backoffOptions } from '../policy.mjs';

// event-bind is CommonJS: under plain Node ESM only its default import resolves.
const { Binder } = eventBind;

class TcpConnector {
  constructor(opts) {
    this.opts = opts;
  }

  connect = (_, token) =>
    new Promise((resolve, reject) => {
      const socket = new net.Socket();
      token.onCancellationRequested(() => socket.end());
      const binder = Binder.for(socket)
        .bind('connect', () => {
          binder.unbind();
          resolve(socket);
        })
        .bind('error', (error) => {
          binder.unbind();
          reject(error);
        });
      socket.connect(this.opts);
    });

  close = (client) => client.end();

  ping = (client) => client.write('ping\n');
}

export const name = '0.1.7';

export function open(port, { keepalive, policy }, hooks) {
  const connback = new Connback(new TcpConnector({ host: '127.0.0.1', port }), {
    keepalive,
    ...backoffOptions(policy, { jitterAsFunction: true, strictMaxDelay: true }),
  });
  connback.onconnect((socket) => {
    const binder = Binder.for(socket)
      .bind('error', (error) => connback.feedError(error))
      .bind('data', () => connback.feedHeartbeat())
      .bind('close', (hasError) => connback.feedClose(hasError))
      .bind('close', () => binder.unbind());
  });
  if (hooks.onAttempt) connback.onreconnect(hooks.onAttempt);
  if (hooks.onConnect) connback.onconnect(hooks.onConnect);
  if (hooks.onClose) connback.onclose(hooks.onClose);
  return { end: () => connback.end(true) };
}
