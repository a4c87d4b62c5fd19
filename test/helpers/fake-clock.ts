// A fake clock for code that takes a common/clock.ts Clock: @sinonjs/fake-timers' clock behind the Clock
// interface. The test moves time with fake.tick / fake.tickAsync (the latter lets promises settle between timers).
import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../common/clock.js';

export function fakeClock(start = 0): { fake: FakeTimers.Clock; clock: Clock } {
  const fake = FakeTimers.createClock(start, 100_000);
  const clock: Clock = { now: () => fake.now, setTimeout: (fn, ms) => fake.setTimeout(fn, ms), clearTimeout: (h) => fake.clearTimeout(h as FakeTimers.TimerId) };
  return { fake, clock };
}
