export {
  type BudgetWaiter,
  RetryBudget,
  type RetryBudgetOptions,
  type RetryBudgetStats,
} from './budget.js';
export {
  type AttemptToken,
  type Cancellable,
  type CancellationToken,
  isCancelled,
  toAbortSignal,
} from './cancellation.js';
export { Connback } from './connback.js';
export type { Connector, ValueOrPromise } from './connector.js';
export type {
  AttemptContext,
  CloseMessage,
  ConnectMessage,
  ErrorMessage,
  PingMessage,
  PongMessage,
  StateMessage,
} from './diagnostics.js';
export { asyncDisposeSymbol, disposeSymbol } from './dispose.js';
export type { ConnbackEnvironment, EnvironmentSignal } from './environment.js';
export { ConnbackError, ErrorCode, isConnbackError } from './errors.js';
export type { Event, Listener, Unsubscribe } from './events.js';
export { type Handshake, runHandshake, withHandshake } from './handshake.js';
export {
  type BackoffStrategyClass,
  type BackoffStrategyLike,
  type BackoffStrategyName,
  type BackoffStrategyOptions,
  type ConnbackOptions,
  type ConnbackOpts,
  DEFAULT_OPTIONS,
  type JitterFunction,
  type JitterName,
  type ResolvedConnbackOptions,
} from './options.js';
export {
  type EndpointPolicy,
  EndpointPool,
  type EndpointPoolOptions,
  type EndpointStats,
} from './pool.js';
export { redactText, redactUrl } from './redact.js';
export type { ConnbackState, StateChange } from './state.js';
export type { ConnbackStats, ConnectInfo, PongInfo, RttStats, WakeInfo } from './stats.js';
export { type ConnbackStatus, STATUS_BUFFER_SIZE, StatusIterator } from './status.js';
export { type ConnectionUrl, type ConnectionUrlOptions, parseConnectionUrl } from './url.js';
