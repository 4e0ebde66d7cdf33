export { TcpConnector } from './connector.js';
export { createTcpConnback, type TcpConnbackOptions } from './create.js';
export { ReconnectingStreamError, StreamErrorCode } from './errors.js';
export {
  type PingPayload,
  parseTcpEndpoint,
  type ResolvedTcpConnectorOptions,
  TCP_CONNECTOR_OPTION_NAMES,
  type TcpConnectorOptions,
  type TcpEndpoint,
} from './options.js';
export {
  createTcpStream,
  ReconnectingStream,
  type ReconnectingStreamOptions,
  type TcpStreamOptions,
  type WriteCallback,
} from './stream.js';
export type { TcpUrl } from './url.js';
