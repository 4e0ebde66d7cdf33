import type { WsData } from './options.js';

/** What the messages of type errors list as accepted. */
export const WS_DATA_TYPES =
  'a string, an ArrayBuffer, a SharedArrayBuffer, an ArrayBufferView or a Blob';

function tagOf(value: object): string {
  return Object.prototype.toString.call(value);
}

/** A value's type as a message names it: `a number (123)`, `null`, `an object`, `a Map`... */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return `a ${typeof value} (${String(value)})`;
    case 'object': {
      if (Array.isArray(value)) return 'an array';
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      if (typeof name !== 'string' || name === '' || name === 'Object') return 'an object';
      return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
    }
    default:
      return `a ${typeof value}`;
  }
}

function isBlob(value: object): value is Blob {
  if (typeof Blob !== 'undefined' && value instanceof Blob) return true;
  // A Blob of another realm (an iframe, a vm context).
  const tag = tagOf(value);
  return (
    (tag === '[object Blob]' || tag === '[object File]') && typeof (value as Blob).size === 'number'
  );
}

function isArrayBuffer(value: object): value is ArrayBufferLike {
  const tag = tagOf(value);
  return (
    (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') &&
    typeof (value as ArrayBufferLike).byteLength === 'number'
  );
}

const encoder = new TextEncoder();

/**
 * The size of a message in bytes (UTF-8 for strings), or `undefined` when the value is not one a
 * WebSocket can send: a string, an ArrayBuffer, a SharedArrayBuffer, an ArrayBufferView or a Blob.
 */
export function sizeOfData(value: unknown): number | undefined {
  if (typeof value === 'string') return encoder.encode(value).byteLength;
  if (typeof value !== 'object' || value === null) return undefined;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (isArrayBuffer(value)) return value.byteLength;
  if (isBlob(value)) return value.size;
  return undefined;
}

/** True for a value a WebSocket can send (see {@link sizeOfData}); a string is not encoded. */
export function isWsData(value: unknown): value is WsData {
  return typeof value === 'string' || sizeOfData(value) !== undefined;
}

function isShared(buffer: ArrayBufferLike): boolean {
  return tagOf(buffer) === '[object SharedArrayBuffer]';
}

/**
 * The data as the socket gets it. Memory shared with other threads is copied: the browser's
 * `send()` refuses a SharedArrayBuffer (or a view of one), and a copy made now is what the caller
 * passed, even if the message waits in the queue while another thread writes to that memory.
 */
export function unshared(data: WsData): WsData {
  if (typeof data === 'string' || isBlob(data)) return data;
  if (ArrayBuffer.isView(data)) {
    if (!isShared(data.buffer)) return data;
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }
  return isShared(data) ? new Uint8Array(data).slice() : data;
}
