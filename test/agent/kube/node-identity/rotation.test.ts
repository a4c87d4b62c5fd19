// Renewal scheduling of the node certificate on a fake clock: the deadline lies at 70-90% of the validity,
// deadlines beyond Node's 24.8-day timer limit are reached by chained timers, a failed renewal is retried
// with capped back-off, and a renewed certificate is scheduled from its own validity.
import test from 'ava';
import { rotationDeadline, retryDelay, RotationScheduler, MAX_TIMER_MS } from '../../../../agent/kube/node-identity/rotation.js';
import { fakeClock } from '../../../helpers/fake-clock.js';

const DAY = 86_400_000;

const START = Date.UTC(2027, 0, 1);

test('the deadline is at 70% of the validity for r=0, 90% for r→1, and in between otherwise', (t) => {
  const nb = new Date(Date.UTC(2027, 0, 1));
  const na = new Date(nb.getTime() + 100 * DAY);
  const cases: [number, number][] = [
    [0, 70 * DAY],
    [0.5, 80 * DAY],
    [0.999999, 89.99998 * DAY],
    [-1, 70 * DAY], // a bad random source is clamped
    [2, 90 * DAY],
  ];
  for (const [r, after] of cases) {
    const d = rotationDeadline(nb, na, () => r).getTime() - nb.getTime();
    t.true(Math.abs(d - after) < 1000, `r=${r}: ${d / DAY} days`);
  }
  for (let i = 0; i < 200; i++) {
    const d = rotationDeadline(nb, na).getTime() - nb.getTime();
    t.true(d >= 70 * DAY && d <= 90 * DAY);
  }
});

test('retry delays double from the base and stop at the cap', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map((a) => retryDelay(a, 5000, 60_000)), [5000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000]);
});

test('renews at the deadline, not before; a one-year certificate is reached through chained timers', async (t) => {
  const { fake, clock } = fakeClock(START);
  const notBefore = new Date(fake.now);
  const notAfter = new Date(fake.now + 365 * DAY);
  const renewedAt: number[] = [];
  const s = new RotationScheduler({
    clock,
    random: () => 0.5,
    rotate: () => {
      renewedAt.push(fake.now);
      return Promise.resolve({ notBefore: new Date(fake.now), notAfter: new Date(fake.now + 10 * DAY) });
    },
  });
  s.schedule({ notBefore, notAfter });
  const deadline = notBefore.getTime() + 0.8 * 365 * DAY;
  t.is(s.nextRenewal, deadline);
  t.true(deadline - fake.now > MAX_TIMER_MS, 'beyond one timer');
  await fake.tickAsync(deadline - fake.now - 1);
  t.deepEqual(renewedAt, [], 'nothing before the deadline (a single long timer would have fired at once)');
  await fake.tickAsync(1);
  t.deepEqual(renewedAt, [deadline]);
  // The new certificate is scheduled from its own window: 8 days later.
  t.is(s.nextRenewal, deadline + 8 * DAY);
  await fake.tickAsync(8 * DAY);
  t.is(renewedAt.length, 2);
  s.stop();
  await fake.tickAsync(30 * DAY);
  t.is(renewedAt.length, 2, 'nothing after stop');
});

test('a failed renewal is reported and retried with back-off until it succeeds', async (t) => {
  const { fake, clock } = fakeClock(START);
  let calls = 0;
  const errors: [number, number][] = [];
  const s = new RotationScheduler({
    clock,
    random: () => 0,
    retryBaseMs: 1000,
    retryMaxMs: 4000,
    onError: (_e, attempt, retryInMs) => errors.push([attempt, retryInMs]),
    rotate: () => {
      calls++;
      if (calls <= 4) return Promise.reject(new Error('api server unreachable'));
      return Promise.resolve({ notBefore: new Date(fake.now), notAfter: new Date(fake.now + DAY) });
    },
  });
  s.schedule({ notBefore: new Date(fake.now - 10 * DAY), notAfter: new Date(fake.now + DAY) });
  await fake.tickAsync(0);
  t.is(calls, 1, 'a certificate past its deadline is renewed at once');
  await fake.tickAsync(1000 + 2000 + 4000 + 4000);
  t.is(calls, 5);
  t.deepEqual(errors, [
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 4000],
  ]);
  t.is(s.nextRenewal, fake.now + 0.7 * DAY, 'after success: the new certificate\'s deadline');
  s.stop();
});

test('trigger renews at once and joins a renewal already running; no overlap', async (t) => {
  const { fake, clock } = fakeClock(START);
  let running = 0;
  let maxRunning = 0;
  let calls = 0;
  const s = new RotationScheduler({
    clock,
    rotate: async () => {
      calls++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => fake.setTimeout(r, 500));
      running--;
      return { notBefore: new Date(fake.now), notAfter: new Date(fake.now + DAY) };
    },
  });
  s.schedule({ notBefore: new Date(fake.now), notAfter: new Date(fake.now + DAY) });
  const a = s.trigger();
  const b = s.trigger();
  await fake.tickAsync(500);
  await Promise.all([a, b]);
  t.is(calls, 1);
  t.is(maxRunning, 1);
  s.stop();
  await t.throwsAsync(s.trigger(), { message: /stopped/ });
});

test('a renewed certificate already past its deadline (clock skew) is not renewed in a busy loop', async (t) => {
  const { fake, clock } = fakeClock(START);
  let calls = 0;
  const s = new RotationScheduler({
    clock,
    retryBaseMs: 5000,
    rotate: () => {
      calls++;
      return Promise.resolve({ notBefore: new Date(fake.now - 10 * DAY), notAfter: new Date(fake.now + 1000) });
    },
  });
  s.schedule({ notBefore: new Date(fake.now - 10 * DAY), notAfter: new Date(fake.now + 1000) });
  await fake.tickAsync(4999);
  t.is(calls, 1);
  await fake.tickAsync(1);
  t.is(calls, 2, 'the next one waits the minimum spacing');
  s.stop();
});
