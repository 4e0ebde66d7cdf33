/**
 * `redactUrl` (and `redactText`) of `@connback/core`, where the redaction lives; exported here too
 * because `@connback/ws` exported `redactUrl` first.
 */
export { redactText, redactUrl } from '@connback/core';
