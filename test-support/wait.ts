/** Polls `predicate` every 5 ms until it holds; throws after `timeoutMs` (every wait is bounded). */
export async function waitFor(
  predicate: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Checks that `predicate` keeps holding for `ms` (something that must not happen does not). */
export async function holdsFor(predicate: () => boolean, what: string, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (!predicate()) throw new Error(`${what} stopped holding`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!predicate()) throw new Error(`${what} stopped holding`);
}
