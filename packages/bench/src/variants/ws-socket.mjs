// The WebSocket-shaped socket of @connback/ws, `ReconnectingWebSocket`, used as a browser
// WebSocket is: listeners added once with addEventListener, kept across reconnects.
import { ReconnectingWebSocket } from '@connback/ws';
import { backoffOptions } from '../policy.mjs';

export const name = 'ws-socket';

export function open(port, { keepalive, policy }, hooks) {
  const socket = new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, {
    keepalive,
    ...backoffOptions(policy),
  });
  // An attempt has no event of the WebSocket API: it is the Connback's, beneath.
  if (hooks.onAttempt) socket.connback.onreconnect(hooks.onAttempt);
  if (hooks.onConnect) socket.addEventListener('open', () => hooks.onConnect());
  if (hooks.onClose) socket.addEventListener('close', () => hooks.onClose());
  // The Connback beneath is the handle: no wrapper of the harness per connection (see ws-connback.mjs).
  return socket.connback;
}
