import type { ConnbackEnvironment, EnvironmentSignal } from '@connback/core';

/**
 * What {@link browserEnvironment} reads of a page: `navigator.onLine`, `document.visibilityState`,
 * and the `online`, `offline`, `pageshow` events of the window and `visibilitychange` of the
 * document. Structural, so that the module loads (and does nothing) where there is no DOM.
 */
export interface BrowserGlobals {
  /** The page's `navigator`: `onLine` false means offline. */
  readonly navigator?:
    | {
        /** `false` while the browser is offline. */
        readonly onLine?: boolean;
      }
    | undefined;
  /** The page's `document`, which fires `visibilitychange`. */
  readonly document?:
    | (EventTarget & {
        /** `'hidden'` while the page is hidden (a background tab, a minimised window). */
        readonly visibilityState?: string;
      })
    | undefined;
  /** The window's `addEventListener`, for `online`, `offline` and `pageshow`. */
  readonly addEventListener?: EventTarget['addEventListener'] | undefined;
  /** The window's `removeEventListener`, to remove them. */
  readonly removeEventListener?: EventTarget['removeEventListener'] | undefined;
}

/**
 * One environment per page: its DOM listeners are added when the first Connback subscribes and
 * removed when the last one leaves, so an ended Connback leaves nothing behind. A Connback's
 * listener that throws is caught here, never in the browser's event loop.
 */
class BrowserEnvironment implements ConnbackEnvironment {
  readonly #globals: BrowserGlobals;
  readonly #listeners = new Set<(signal: EnvironmentSignal) => void>();

  constructor(globals: BrowserGlobals) {
    this.#globals = globals;
  }

  readonly #onOnline = (): void => this.#send('online');
  readonly #onOffline = (): void => this.#send('offline');
  readonly #onPageShow = (event: Event): void => {
    // Only a page restored from the back/forward cache has a connection that may be stale.
    if ((event as { persisted?: boolean }).persisted === true) this.#send('pageshow');
  };
  readonly #onVisibility = (): void => this.#send(this.visible() ? 'visible' : 'hidden');

  online(): boolean {
    return this.#globals.navigator?.onLine !== false;
  }

  visible(): boolean {
    return this.#globals.document?.visibilityState !== 'hidden';
  }

  subscribe(listener: (signal: EnvironmentSignal) => void): () => void {
    const listeners = this.#listeners;
    listeners.add(listener);
    if (listeners.size === 1) this.#bind(true);
    return () => {
      if (listeners.delete(listener) && listeners.size === 0) this.#bind(false);
    };
  }

  #bind(on: boolean): void {
    const g = this.#globals;
    const method = on ? 'addEventListener' : 'removeEventListener';
    g[method]?.call(g, 'online', this.#onOnline);
    g[method]?.call(g, 'offline', this.#onOffline);
    g[method]?.call(g, 'pageshow', this.#onPageShow);
    g.document?.[method]('visibilitychange', this.#onVisibility);
  }

  #send(signal: EnvironmentSignal): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(signal);
      } catch {
        // A Connback's listener does not throw; a foreign one must not break the page's loop.
      }
    }
  }
}

const environments = new WeakMap<object, BrowserEnvironment>();

/**
 * The environment of a browser page for a Connback's `environment` option (DESIGN.md semantic
 * 19): offline pauses attempts, online attempts at once, a page shown again (visible, or
 * restored from the back/forward cache) probes the connection, and late timers while the page is
 * hidden are taken for throttling, not a wake-up. `createWsConnback` uses it by itself in a
 * browser. One object per `globals` (default `globalThis`).
 * @param globals where to read `navigator`, `document` and the window's events.
 * @returns the one environment of these globals, shared by every Connback of the page.
 */
export function browserEnvironment(
  globals: BrowserGlobals = globalThis as BrowserGlobals,
): ConnbackEnvironment {
  let environment = environments.get(globals);
  if (environment === undefined) {
    environment = new BrowserEnvironment(globals);
    environments.set(globals, environment);
  }
  return environment;
}

/**
 * True in a page or a worker with `navigator.onLine`: where {@link browserEnvironment} helps.
 * @param globals where to look.
 */
export function inBrowser(globals: BrowserGlobals = globalThis as BrowserGlobals): boolean {
  return (
    typeof globals.navigator?.onLine === 'boolean' && typeof globals.addEventListener === 'function'
  );
}
