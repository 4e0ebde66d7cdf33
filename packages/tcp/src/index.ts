/**
 * `@connback/tcp` is not built yet: its connector, `createTcpConnback` and the reconnecting stream
 * arrive with their own issue. Until then the package only names itself, so the workspace layout,
 * build and package checks are in place.
 */
export const packageName = '@connback/tcp';
