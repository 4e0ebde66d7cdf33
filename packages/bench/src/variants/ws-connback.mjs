// connback over a WebSocket: `createWsConnback` from @connback/ws, as its README shows it (the
// `ws` package beneath, protocol pings as the heartbeat).
import { createWsConnback } from '@connback/ws';
import { backoffOptions } from '../policy.mjs';

export const name = 'ws-connback';

export function open(port, { keepalive, policy }, hooks) {
  const ws = createWsConnback(`ws://127.0.0.1:${port}`, { keepalive, ...backoffOptions(policy) });
  const connback = ws.connback;
  if (hooks.onAttempt) connback.onreconnect(hooks.onAttempt);
  if (hooks.onConnect) connback.onconnect(hooks.onConnect);
  if (hooks.onClose) connback.onclose(hooks.onClose);
  // The WsConnback itself is the handle (as the raw client is its own): no wrapper of the harness
  // per connection. Its end() closes gracefully; only the idle row runs this variant.
  return ws;
}
