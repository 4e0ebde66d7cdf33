import createDebug from 'debug';

/**
 * `DEBUG=connback:core` (or `connback:*`) traces the lifecycle to standard error (the `debug`
 * package's format): every state change, attempt, failure, backoff delay, ping, dead peer, drop,
 * `end()` and failure. Every call is guarded by `trace.enabled`: off (the default), tracing costs
 * that check and nothing else — not even the argument list `debug`'s function would allocate.
 */
export const trace = createDebug('connback:core');
