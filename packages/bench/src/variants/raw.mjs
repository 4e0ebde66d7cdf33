// The floor: a hand-written net.Socket client with a heartbeat and a reconnect loop, written the
// way a careful user would without a library. Its idle socket timeout (one of Node's shared timer
// lists) pings after a quiet period and declares the peer dead after a second unanswered one.
import net from 'node:net';
import { RawBackoff } from '../policy.mjs';

const PING = 'ping\n';
const MIN_UPTIME_MS = 1000;
const CONNECT_TIMEOUT_MS = 30_000;

class RawClient {
  #port;
  #keepaliveMs;
  #hooks;
  #backoff;
  #socket;
  #retry;
  #connectedAt = 0;
  #awaitingPong = false;
  #ended = false;

  constructor(port, { keepalive, policy }, hooks) {
    this.#port = port;
    this.#keepaliveMs = keepalive * 1000;
    this.#hooks = hooks;
    this.#backoff = new RawBackoff(policy);
    this.#connect();
  }

  #connect() {
    this.#retry = undefined;
    this.#hooks.onAttempt?.();
    const socket = net.connect({ host: '127.0.0.1', port: this.#port });
    this.#socket = socket;
    socket.setTimeout(CONNECT_TIMEOUT_MS);
    socket.on('error', () => {});
    socket.on('timeout', () => this.#onIdle(socket));
    socket.on('data', () => {
      this.#awaitingPong = false;
    });
    socket.once('connect', () => {
      this.#connectedAt = Date.now();
      this.#awaitingPong = false;
      socket.setTimeout(this.#keepaliveMs);
      this.#hooks.onConnect?.(socket);
    });
    socket.once('close', () => this.#onClose(socket));
  }

  #onIdle(socket) {
    if (socket.connecting || this.#awaitingPong) {
      socket.destroy();
      return;
    }
    this.#awaitingPong = true;
    socket.write(PING);
  }

  #onClose(socket) {
    const wasConnected = this.#connectedAt !== 0;
    if (wasConnected) {
      if (Date.now() - this.#connectedAt >= MIN_UPTIME_MS) this.#backoff.reset();
      this.#connectedAt = 0;
      this.#hooks.onClose?.();
    }
    if (this.#ended || socket !== this.#socket) return;
    this.#retry = setTimeout(() => this.#connect(), this.#backoff.next());
  }

  end() {
    this.#ended = true;
    clearTimeout(this.#retry);
    this.#socket?.destroy();
  }
}

export const name = 'raw';

export function open(port, options, hooks) {
  return new RawClient(port, options, hooks);
}
