// connback with its own TCP connector, as its README shows it.
import { createTcpConnback } from '@connback/tcp';
import { backoffOptions } from '../policy.mjs';

export const name = 'connback';

export function open(port, { keepalive, policy }, hooks) {
  const connback = createTcpConnback({
    host: '127.0.0.1',
    port,
    ping: 'ping\n',
    keepalive,
    ...backoffOptions(policy),
  });
  if (hooks.onAttempt) connback.onreconnect(hooks.onAttempt);
  if (hooks.onConnect) connback.onconnect(hooks.onConnect);
  if (hooks.onClose) connback.onclose(hooks.onClose);
  return { end: () => connback.end(true) };
}
