import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';

export {
  codeOf,
  type RecordedEvent,
  type Recorder,
  record,
} from '../../../../test-support/connback-recorder.js';

/** Everything a socket receives from now on, as latin1 text. */
export function received(socket: net.Socket): { text(): string } {
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  return { text: () => text };
}

/** Occurrences of `needle` in `haystack`. */
export function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/**
 * Watches the client sockets `net.connect` creates from now on and counts, at each creation, the
 * watched sockets not yet destroyed (the new one included). Unlike the ledger's `maxOpenAtOnce`,
 * which closes a socket at its 'close' event (a tick after `destroy()`), this sees a socket that
 * was destroyed just before its replacement was created as gone. Call `stop()` when done.
 */
export function watchOverlap(keep: (socket: net.Socket) => boolean = () => true): {
  max(): number;
  stop(): void;
} {
  const seen: net.Socket[] = [];
  let max = 0;
  const onSocket = (message: unknown) => {
    const { socket } = message as { socket: net.Socket };
    if (!keep(socket)) return;
    const live = seen.filter((other) => keep(other) && !other.destroyed).length + 1;
    max = Math.max(max, live);
    seen.push(socket);
  };
  diagnostics.subscribe('net.client.socket', onSocket);
  return {
    max: () => max,
    stop: () => diagnostics.unsubscribe('net.client.socket', onSocket),
  };
}
