// The clock that time-dependent logic runs on: the real one by default, a fake one (@sinonjs/fake-timers)
// in tests, so back-offs, heartbeats and deadlines are driven by the test instead of waited for.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock. Its timers are unref'd: a pending retry or heartbeat never keeps the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
