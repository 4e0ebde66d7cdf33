import { afterEach, expect, inject, it } from 'vitest';
import { commands } from 'vitest/browser';
import { createWsConnback } from '../src/index.js';

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** Offline now, online again after `ms`; resolves once online (the page's channel is cut). */
    goOfflineFor(ms: number): Promise<void>;
  }
}

/**
 * DESIGN.md semantic 19 in Chromium (row 37): `createWsConnback` picks the browser environment
 * by itself. Offline and online come from Playwright's `context.setOffline()` (the real
 * `navigator.onLine` and `online`/`offline` events). Visibility is simulated: headless Chromium
 * cannot hide its page, so the test overrides `document.visibilityState` and dispatches
 * `visibilitychange`, as the browser would.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the time (its `timeStamp`, on the `performance.now()` scale) of the window's next `type` event. */
function nextWindowEvent(type: 'online' | 'offline'): Promise<number> {
  return new Promise((resolve) =>
    addEventListener(type, (event) => resolve(event.timeStamp), { once: true }),
  );
}

afterEach(() => {
  Reflect.deleteProperty(document, 'visibilityState');
});

function setVisibility(state: 'hidden' | 'visible'): void {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

it('row 37: offline while retrying makes no attempt and spends no budget; online attempts within 100 ms', async () => {
  const ws = createWsConnback(`ws://127.0.0.1:${inject('refusedPort')}/`, {
    initialDelay: 300,
    maxDelay: 300,
    jitter: 'none',
    maxNumOfAttempts: 50,
  });
  const attempts: number[] = [];
  ws.connback.onreconnect(() => attempts.push(performance.now()));
  try {
    while (ws.connback.stats.waitingFor !== 'backoff') await sleep(10);
    const offline = nextWindowEvent('offline');
    const online = nextWindowEvent('online');
    const back = commands.goOfflineFor(1500);
    await offline;
    expect(navigator.onLine).toBe(false);
    expect(ws.connback.stats.waitingFor).toBe('network');
    const budget = ws.connback.stats.outageAttempts;
    const seen = attempts.length;
    // Four backoff delays' worth of time offline: no attempt, no budget spent.
    await sleep(1200);
    expect(attempts.length).toBe(seen);
    expect(ws.connback.stats.outageAttempts).toBe(budget);
    expect(ws.connback.state).toBe('offline');
    const onlineAt = await online;
    while (attempts.length === seen && performance.now() - onlineAt < 1000) await sleep(1);
    expect(attempts.length).toBe(seen + 1);
    const delay = (attempts[seen] ?? Number.POSITIVE_INFINITY) - onlineAt;
    console.info(`attempt ${delay.toFixed(1)} ms after the online event`);
    expect(delay).toBeLessThanOrEqual(100);
    await back;
  } finally {
    ws.end(true);
  }
});

it('row 37: offline while connected probes the connection, and nothing closes when it answers after online', async () => {
  let pings = 0;
  const ws = createWsConnback(`ws://127.0.0.1:${inject('wsPort')}/`, {
    keepalive: 30,
    pingMessage: () => {
      pings += 1;
      return 'ping';
    },
  });
  const closes: boolean[] = [];
  const attempts: number[] = [];
  ws.connback.onclose((hasError) => closes.push(hasError));
  ws.connback.onreconnect(() => attempts.push(performance.now()));
  try {
    const socket = await ws.connback.ready();
    const offline = nextWindowEvent('offline');
    const back = commands.goOfflineFor(1000);
    await offline;
    expect(pings).toBe(1);
    await back;
    // The probe's deadline is 5 s: its answer, held while offline, arrives now.
    await sleep(5500);
    expect(closes).toEqual([]);
    expect(attempts).toEqual([]);
    expect(ws.connback.client).toBe(socket);
  } finally {
    ws.end(true);
  }
});

it('row 37: hidden then visible probes the connection; late timers while hidden are no wake-up', async () => {
  let pings = 0;
  const ws = createWsConnback(`ws://127.0.0.1:${inject('wsPort')}/`, {
    keepalive: 30,
    pingMessage: () => {
      pings += 1;
      return 'ping';
    },
  });
  const wakes: unknown[] = [];
  ws.connback.onwake((info) => wakes.push(info));
  try {
    await ws.connback.ready();
    setVisibility('hidden');
    await sleep(50);
    expect(pings).toBe(0);
    setVisibility('visible');
    await sleep(50);
    expect(pings).toBe(1);
    expect(await ws.connback.probe()).toEqual(expect.any(Number));
    expect(wakes).toEqual([]);
    expect(ws.connback.connected).toBe(true);
  } finally {
    ws.end(true);
  }
});
