/**
 * The URL as it may be printed or logged: a user name and a password in it are replaced by `***`
 * (a WebSocket URL may carry credentials for basic authentication). Text that is not a URL keeps
 * everything but what looks like credentials before an `@`.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '***';
    parsed.password = parsed.password === '' ? '' : '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
}
