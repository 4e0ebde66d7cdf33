// The floor of the ws rows: a hand-written client over the `ws` package with a heartbeat and a
// reconnect loop, doing what connback does and nothing more, the way a careful user would write
// it after ws's README: a protocol ping every keepalive period, the socket terminated when the
// previous ping got no pong (nor any message), and a reconnect timer with the same backoff as
// the others (connect timeout included).
import WebSocket from 'ws';
import { RawBackoff } from '../policy.mjs';

const MIN_UPTIME_MS = 1000;
const CONNECT_TIMEOUT_MS = 30_000;

function ignore() {}

class RawWsClient {
  #url;
  #keepaliveMs;
  #hooks;
  #backoff;
  #socket;
  /** The connect timeout while connecting, the heartbeat interval while open, the retry after. */
  #timer;
  #connectedAt = 0;
  #alive = false;
  #ended = false;

  constructor(port, { keepalive, policy }, hooks) {
    this.#url = `ws://127.0.0.1:${port}`;
    this.#keepaliveMs = keepalive * 1000;
    this.#hooks = hooks;
    this.#backoff = new RawBackoff(policy);
    this.#connect();
  }

  #connect() {
    this.#hooks.onAttempt?.();
    const socket = new WebSocket(this.#url);
    this.#socket = socket;
    this.#timer = setTimeout(() => socket.terminate(), CONNECT_TIMEOUT_MS);
    socket.on('error', ignore);
    socket.on('pong', () => {
      this.#alive = true;
    });
    socket.on('message', () => {
      this.#alive = true;
    });
    socket.once('open', () => {
      clearTimeout(this.#timer);
      this.#connectedAt = Date.now();
      this.#alive = true;
      this.#timer = setInterval(() => this.#beat(socket), this.#keepaliveMs);
      this.#hooks.onConnect?.(socket);
    });
    socket.once('close', () => this.#onClose(socket));
  }

  #beat(socket) {
    if (!this.#alive) {
      socket.terminate();
      return;
    }
    this.#alive = false;
    socket.ping();
  }

  #onClose(socket) {
    if (socket !== this.#socket) return;
    clearTimeout(this.#timer);
    if (this.#connectedAt !== 0) {
      if (Date.now() - this.#connectedAt >= MIN_UPTIME_MS) this.#backoff.reset();
      this.#connectedAt = 0;
      this.#hooks.onClose?.();
    }
    if (this.#ended) return;
    this.#timer = setTimeout(() => this.#connect(), this.#backoff.next());
  }

  end() {
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#socket?.terminate();
  }
}

export const name = 'ws-raw';

export function open(port, options, hooks) {
  return new RawWsClient(port, options, hooks);
}
