// KeyedApplier: per-key order is kept, different keys run concurrently, and no more than `limit` jobs
// are ever in flight; submit() blocks once the limit is reached.
import test from 'ava';
import { KeyedApplier } from '../../../agent/pods/status-applier.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('per-key order with bounded concurrency (randomised)', async (t) => {
  const a = new KeyedApplier(4);
  const seen = new Map<string, number[]>();
  let running = 0;
  let peak = 0;
  for (let i = 0; i < 300; i++) {
    const key = `pod-${i % 7}`;
    await a.submit(key, async () => {
      running++;
      peak = Math.max(peak, running);
      await tick(Math.random() * 3);
      seen.set(key, [...(seen.get(key) ?? []), i]);
      running--;
    });
  }
  await a.idle();
  t.true(peak <= 4, `peak ${peak} ≤ limit`);
  t.true(peak >= 2, 'different pods ran in parallel');
  for (const [key, order] of seen) t.deepEqual(order, [...order].sort((x, y) => x - y), `${key} in order`);
  t.is([...seen.values()].reduce((n, v) => n + v.length, 0), 300, 'every job ran exactly once');
});

test('submit waits while the limit is reached; a failing job does not stop its key', async (t) => {
  const a = new KeyedApplier(1);
  let release!: () => void;
  await a.submit('x', () => new Promise<void>((r) => (release = r)));
  let admitted = false;
  const second = a.submit('y', () => Promise.resolve()).then(() => (admitted = true));
  await tick(20);
  t.false(admitted, 'blocked behind the running job');
  release();
  await second;
  t.true(admitted);
  const ran: string[] = [];
  await a.submit('z', () => Promise.reject(new Error('boom')));
  await a.submit('z', () => (ran.push('after'), Promise.resolve()));
  await a.idle();
  t.deepEqual(ran, ['after']);
});
