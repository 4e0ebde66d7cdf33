import type { WebSocketLike } from '../../src/index.js';
import { WsCloseError } from '../../src/index.js';

export {
  codeOf,
  type RecordedEvent,
  type Recorder,
  record,
} from '../../../../test-support/connback-recorder.js';

/** Every message a client socket receives from now on, as text. */
export function received(socket: WebSocketLike): string[] {
  const messages: string[] = [];
  socket.addEventListener('message', (event: { data: unknown }) => {
    messages.push(String(event.data));
  });
  return messages;
}

/** The error, which must be a {@link WsCloseError} (throws otherwise). */
export function asCloseError(error: unknown): WsCloseError {
  if (!(error instanceof WsCloseError)) throw new Error(`not a WsCloseError: ${String(error)}`);
  return error;
}
