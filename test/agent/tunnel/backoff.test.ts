// Back-off: grows exponentially, stays within jitter bounds and the cap, never negative.
import test from 'ava';
import { backoffDelay } from '../../../agent/tunnel/backoff.js';

const o = { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.2 };

test('exponential growth with jitter bounds and a cap', (t) => {
  t.is(backoffDelay(0, o, () => 0.5), 100);
  t.is(backoffDelay(3, o, () => 0.5), 800);
  t.is(backoffDelay(0, o, () => 0), 80);
  t.is(backoffDelay(0, o, () => 1), 120);
  t.is(backoffDelay(50, o, () => 1), 5_000);
  for (let i = 0; i < 1000; i++) {
    const a = Math.floor(Math.random() * 40);
    const d = backoffDelay(a, o);
    t.true(d >= 0 && d <= 5_000);
    const base = Math.min(5_000, 100 * 2 ** a);
    t.true(d >= Math.floor(base * 0.8) - 1);
  }
});
