// connback with its own TCP connector, as its README shows it.
import { RetryBudget } from '@connback/core';
import { createTcpConnback } from '@connback/tcp';
import { backoffOptions } from '../policy.mjs';

export const name = 'connback';

/** The one budget every client of the process shares, when the row gives one. */
let shared;

export function open(port, { keepalive, policy, budget }, hooks) {
  if (budget !== undefined) shared ??= new RetryBudget(budget);
  const connback = createTcpConnback({
    ...(budget === undefined ? {} : { budget: shared }),
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
