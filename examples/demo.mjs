// A Connback keeps a TCP client connected to a server that misbehaves on purpose:
// the server drops every client 2.5 s after it connects, and once it stops listening for 2 s,
// so connects are refused and the client backs off. Run it with `npm run demo`.
import net from 'node:net';
import { Connback } from '@connback/core';

const DROP_AFTER_MS = 2500;
const OUTAGE_AT_MS = 6500;
const OUTAGE_FOR_MS = 2000;
const END_AT_MS = 13_500;
const SEND_EVERY_MS = 500;
const GRACEFUL_CLOSE_MS = 1000;

const startedAt = performance.now();
function log(message) {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(2).padStart(6);
  console.log(`[${seconds}s] ${message}`);
}

// ---------------------------------------------------------------- the server

const serverSockets = new Set();
const server = net.createServer((socket) => {
  serverSockets.add(socket);
  const drop = setTimeout(() => {
    log('server: dropping the client');
    socket.destroy();
  }, DROP_AFTER_MS);
  socket.on('data', (chunk) => socket.write(chunk));
  // A client that resets the connection must not crash the server.
  socket.on('error', () => {});
  socket.on('close', () => {
    clearTimeout(drop);
    serverSockets.delete(socket);
  });
});

function listen(port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

function stopServer() {
  for (const socket of serverSockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

const port = await listen(0);
log(`server: listening on 127.0.0.1:${port}`);

// ---------------------------------------------------------------- the connector

/** Binds the socket's events to the feeds; every feed names the socket, so a stale one is ignored. */
function feed(connback, socket) {
  const onData = () => connback.feedHeartbeat(socket);
  const onError = (error) => connback.feedError(error, socket);
  const onClose = (hadError) => {
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('close', onClose);
    connback.feedClose(hadError, socket);
  };
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('close', onClose);
}

const connector = {
  connect(connback, token) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      const onConnect = () => {
        settle();
        feed(connback, socket);
        resolve(socket);
      };
      const onError = (error) => {
        settle();
        socket.destroy();
        reject(error);
      };
      // Cancelled by the connect timeout, end() or reconnect(): abandon the socket.
      const unsubscribe = token.onCancellationRequested(() => {
        settle();
        socket.destroy();
        reject(token.reason ?? new Error('connect cancelled'));
      });
      function settle() {
        unsubscribe();
        socket.off('connect', onConnect);
        socket.off('error', onError);
      }
      socket.once('connect', onConnect);
      socket.once('error', onError);
    });
  },

  // Called for every client connback stops using, possibly more than once: idempotent.
  close(socket, force) {
    if (socket.destroyed) return;
    if (force) {
      socket.destroy();
      return;
    }
    socket.end();
    const deadline = setTimeout(() => socket.destroy(), GRACEFUL_CLOSE_MS);
    socket.once('close', () => clearTimeout(deadline));
  },

  ping(socket) {
    socket.write('ping\n');
  },
};

// ---------------------------------------------------------------- the Connback

const connback = new Connback(connector, {
  keepalive: 1, // seconds
  initialDelay: 300,
  maxDelay: 2000,
  connectTimeout: 1000,
  jitter: 'full',
});

/** The backoff wait is armed right after onerror/onclose returns; read it a microtask later. */
function showBackoff() {
  queueMicrotask(() => {
    const delay = connback.stats.nextDelay;
    if (delay !== undefined) log(`  (backoff: next attempt in ${delay} ms)`);
  });
}

connback.onstatechange(({ from, to }) => log(`state ${from} -> ${to}`));
connback.onconnect((socket, info) => {
  const kind = info.reconnect ? 'reconnect' : 'first connect';
  log(`connect (${kind}, attempt ${info.attempt}, local port ${socket.localPort})`);
  startSending(socket);
});
connback.onclose((hasError) => {
  log(`close (hasError=${hasError})`);
  showBackoff();
});
connback.onoffline(() => log('offline'));
connback.onreconnect(() => log('reconnect (an attempt starts)'));
connback.onerror((error) => {
  log(`error ${error.code ?? error.message}`);
  showBackoff();
});
connback.onend(() => log('end'));

// ---------------------------------------------------------------- traffic

let sent = 0;
let echoed = 0;

/** Sends a numbered line every SEND_EVERY_MS while `socket` is the live client. */
function startSending(socket) {
  let partial = '';
  const onData = (chunk) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    echoed += lines.filter((line) => line.startsWith('line ')).length;
  };
  const timer = setInterval(() => {
    if (connback.client !== socket) return;
    sent += 1;
    socket.write(`line ${sent}\n`);
    log(`  sent line ${sent} (echoes received: ${echoed})`);
  }, SEND_EVERY_MS);
  socket.on('data', onData);
  socket.once('close', () => {
    clearInterval(timer);
    socket.off('data', onData);
  });
}

// ---------------------------------------------------------------- the script

const outage = setTimeout(async () => {
  log(`server: down for ${OUTAGE_FOR_MS / 1000} s (drops its client, refuses connects)`);
  await stopServer();
  setTimeout(async () => {
    await listen(port);
    log(`server: listening again on 127.0.0.1:${port}`);
  }, OUTAGE_FOR_MS);
}, OUTAGE_AT_MS);

setTimeout(async () => {
  clearTimeout(outage);
  log('demo: calling connback.end()');
  connback.end();
  log(`demo: end() returned, connected=${connback.connected}, state=${connback.state}`);
  await stopServer();
  log('server: closed');
  const stats = connback.stats;
  console.log('');
  console.log('summary');
  console.log(
    `  connects:        ${stats.connects} (first connect + ${stats.reconnects} reconnects)`,
  );
  console.log(`  drops:           ${stats.drops}`);
  console.log(`  attempts:        ${stats.attempts} (${stats.failedAttempts} failed)`);
  console.log(`  lines sent:      ${sent}, echoes received: ${echoed}`);
  console.log('  nothing is left open: the process exits by itself');
}, END_AT_MS);
