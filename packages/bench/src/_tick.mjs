import { Connback } from '@connback/core';

const N = 10000,
  WINDOW = 10000;
const mode = process.argv[2];
if (mode === 'connback') {
  const connector = {
    connect: () => ({}),
    close() {},
    ping(client) {
      queueMicrotask(() => client.cb.feedHeartbeat(client));
    },
  };
  for (let i = 0; i < N; i++) {
    const cb = new Connback({ ...connector, connect: () => ({ cb }) }, { keepalive: 1 });
  }
} else {
  for (let i = 0; i < N; i++) {
    let waiting = false;
    const t = setTimeout(function tick() {
      if (waiting) return;
      waiting = true;
      queueMicrotask(() => {
        waiting = false;
      });
      t.refresh();
    }, 1000);
  }
}
await new Promise((r) => setTimeout(r, 1500));
const c0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, WINDOW));
const c = process.cpuUsage(c0);
console.log(mode, 'CPU s per minute', ((((c.user + c.system) / 1e6) * 60000) / WINDOW).toFixed(3));
process.exit(0);
