import type { ThrowSink } from './cancellation.js';
import type { ConnbackError } from './errors.js';
import { type Event, EventChannel } from './events.js';
import type { StateChange } from './state.js';
import type { ConnectInfo, PongInfo, WakeInfo } from './stats.js';

/** What the `onerror` channel does with a throwing listener: nothing is left to report it to. */
function ignoreListenerError(): void {}

/**
 * The events few Connbacks listen to, in one object: a Connback whose users listen to others
 * (every prebuilt one does) pays one field for the three, not three.
 */
class RareChannels {
  wake: EventChannel<[WakeInfo]> | undefined;
  ping: EventChannel<[]> | undefined;
  pong: EventChannel<[PongInfo]> | undefined;
}

/**
 * The events of one Connback. Each channel is made when its event is first read: a
 * Connback whose users listen to three events pays for three, and firing an event nobody read
 * costs a field read. A throwing listener is reported to the sink (the state machine, which
 * turns it into an `onerror`), except one of `onerror` itself.
 */
export class Channels<T> {
  readonly #sink: ThrowSink;
  state: EventChannel<[StateChange]> | undefined;
  connect: EventChannel<[T, ConnectInfo]> | undefined;
  reconnect: EventChannel<[]> | undefined;
  close: EventChannel<[boolean]> | undefined;
  error: EventChannel<[Error]> | undefined;
  offline: EventChannel<[]> | undefined;
  end: EventChannel<[]> | undefined;
  fail: EventChannel<[Error, ConnbackError]> | undefined;
  /** `onwake`, `onping` and `onpong`, made when one of them is first read. */
  rare: RareChannels | undefined;

  constructor(sink: ThrowSink) {
    this.#sink = sink;
  }

  get onstatechange(): Event<[change: StateChange]> {
    this.state ??= new EventChannel(this.#sink);
    return this.state.event;
  }

  get onconnect(): Event<[client: T, info: ConnectInfo]> {
    this.connect ??= new EventChannel(this.#sink);
    return this.connect.event;
  }

  get onreconnect(): Event<[]> {
    this.reconnect ??= new EventChannel(this.#sink);
    return this.reconnect.event;
  }

  get onclose(): Event<[hasError: boolean]> {
    this.close ??= new EventChannel(this.#sink);
    return this.close.event;
  }

  get onerror(): Event<[error: Error]> {
    this.error ??= new EventChannel(ignoreListenerError);
    return this.error.event;
  }

  get onoffline(): Event<[]> {
    this.offline ??= new EventChannel(this.#sink);
    return this.offline.event;
  }

  get onend(): Event<[]> {
    this.end ??= new EventChannel(this.#sink);
    return this.end.event;
  }

  #rare(): RareChannels {
    this.rare ??= new RareChannels();
    return this.rare;
  }

  get onwake(): Event<[info: WakeInfo]> {
    const rare = this.#rare();
    rare.wake ??= new EventChannel(this.#sink);
    return rare.wake.event;
  }

  get onping(): Event<[]> {
    const rare = this.#rare();
    rare.ping ??= new EventChannel(this.#sink);
    return rare.ping.event;
  }

  get onpong(): Event<[info: PongInfo]> {
    const rare = this.#rare();
    rare.pong ??= new EventChannel(this.#sink);
    return rare.pong.event;
  }

  get onfail(): Event<[lastError: Error, reason: ConnbackError]> {
    this.fail ??= new EventChannel(this.#sink);
    return this.fail.event;
  }
}
