// Bounded polling for tests: calls `check` until it returns a truthy value (which is returned) or the
// time runs out (then throws, naming what was awaited and the last error seen).
import { inspect } from 'node:util';

export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last instanceof Error ? String(last) : inspect(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
