/** The `code` of an error (`ECONNREFUSED`, `CONNBACK_…`), if it has a string one. */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The close code of a WebSocket close error (`WsCloseError` of `@connback/ws`), if it is one. */
function closeCodeOf(error: unknown): number | undefined {
  const close = (error as { close?: { code?: unknown } } | undefined)?.close;
  return typeof close?.code === 'number' ? close.code : undefined;
}

/** 1006 is never sent by a peer: the WebSocket API reports it when no close frame came. */
const NO_CLOSE_FRAME = 1006;

/**
 * The errors of a certificate the client does not accept (OpenSSL's verify results, as Node
 * names them, and Node's own host name check): retrying cannot fix any of them.
 */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Codes of an untrusted issuer: the hint is to name the CA. */
const UNTRUSTED_ISSUER = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** True for an error about the server's certificate, which no retry can fix. */
export function isCertificateError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && CERTIFICATE_CODES.has(code);
}

/** What to do about a certificate error, for the line that reports it; '' for other errors. */
export function certificateHint(error: unknown): string {
  if (!isCertificateError(error)) return '';
  const code = codeOf(error) ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return 'the certificate is for another name: --servername NAME checks it against NAME, or skip verification with -k';
  }
  if (UNTRUSTED_ISSUER.has(code)) {
    return "the server's certificate is not signed by a CA this system trusts: give that CA with --ca FILE or NODE_EXTRA_CA_CERTS=FILE, or skip verification with -k";
  }
  return 'see --ca and --servername, or skip verification with -k';
}

/**
 * An error in words: its message, with its code in front when the message does not hold it
 * already; a WebSocket close without a close frame (1006) said as what it means.
 */
export function describe(error: unknown): string {
  if (closeCodeOf(error) === NO_CLOSE_FRAME) {
    return 'closed without a close frame (connection lost)';
  }
  return messageWithCode(error);
}

/** The message of an error with its code in front when the message does not hold it already. */
export function messageWithCode(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined || message.includes(code) ? message : `${code}: ${message}`;
}

/** The kind of an error, for "the first error of a kind": its code, its close code, or its text. */
export function kindOf(error: unknown): string {
  const close = closeCodeOf(error);
  if (close !== undefined) return `close ${close}`;
  return codeOf(error) ?? describe(error);
}
