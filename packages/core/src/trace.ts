import createDebug from 'debug';

/**
 * `DEBUG=connback:core` (or `connback:*`) traces the lifecycle to standard error (the `debug`
 * package's format): every state change, attempt, failure, backoff delay, ping, dead peer, drop,
 * `end()` and failure. Off by default: a call then costs a function call with its arguments
 * (plain values), and the message is formatted only when tracing is on.
 */
export const trace = createDebug('connback:core');
