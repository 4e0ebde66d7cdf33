import type { Connback } from './connback.js';
import { settledAll } from './inflight.js';

// The explicit resource management symbols, typed without `lib: esnext.disposable` (core builds
// with ES2022 and DOM only). @types/node declares the same two members; declarations merge.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
}

/**
 * The key of the `await using` disposer: `Symbol.asyncDispose` where the runtime has it (every
 * Node connback supports, current browsers), else `Symbol.for('Symbol.asyncDispose')`, the key
 * the `await using` helpers of esbuild, Babel and core-js fall back to. connback defines its
 * disposers under this key and never changes the global `Symbol`. TypeScript's own downlevel
 * helper needs the global: on a runtime without it, run
 * `Symbol.asyncDispose ??= Symbol.for('Symbol.asyncDispose')` before loading connback.
 */
export const asyncDisposeSymbol: typeof Symbol.asyncDispose = (Symbol.asyncDispose ??
  Symbol.for('Symbol.asyncDispose')) as typeof Symbol.asyncDispose;

/**
 * The key of the `using` disposer: `Symbol.dispose`, else `Symbol.for('Symbol.dispose')` (see
 * {@link asyncDisposeSymbol}).
 */
export const disposeSymbol: typeof Symbol.dispose = (Symbol.dispose ??
  Symbol.for('Symbol.dispose')) as typeof Symbol.dispose;

/**
 * What `await using` does with a Connback: `end()`, then wait for that end to take effect (called
 * from inside connback, it waits for the step under way) and for the connector's work in flight
 * on behalf of `owner`, its state machine, to settle. Never rejects: a failed close goes to
 * `onerror`.
 */
export async function endAndSettle<T>(connback: Connback<T>, owner: object): Promise<void> {
  let ended = false;
  let wake: (() => void) | undefined;
  // Subscribed first: a listener of this end's onend may reconnect before end() returns.
  const unsubscribe = connback.onend(() => {
    ended = true;
    wake?.();
  });
  try {
    connback.end();
    if (!ended && connback.state !== 'ended') {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    unsubscribe();
  }
  await settledAll(owner);
}
