export {
  type CloseInfo,
  defaultShouldReconnect,
  FATAL_CLOSE_CODES,
  isNormalClose,
  WsCloseError,
} from './close.js';
export { WsConnector } from './connector.js';
export { type BrowserGlobals, browserEnvironment, inBrowser } from './environment.js';
export {
  type ResolvedWsConnectorOptions,
  WS_CONNECTOR_OPTION_NAMES,
  type WsConnectorOptions,
  type WsData,
  type WsUrl,
} from './options.js';
export {
  type Handler,
  ReconnectingWebSocket,
  type ReconnectingWebSocketOptions,
  WsCloseEvent,
  WsErrorEvent,
  WsMessageEvent,
} from './reconnecting-websocket.js';
export { redactText, redactUrl } from './redact.js';
export { ReadyState, type WebSocketConstructor, type WebSocketLike } from './websocket-like.js';
export {
  createWsConnback,
  type SendQueueOptions,
  WsConnback,
  type WsConnbackOptions,
  WsSendQueueError,
} from './ws-connback.js';
