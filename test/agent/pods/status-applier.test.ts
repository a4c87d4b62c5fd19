// KeyedApplier: per-key order is kept, different keys run concurrently, and no more than `limit` jobs
// are ever in flight; submit() blocks once the limit is reached. The applier has no timers: jobs take a
// random number of event-loop turns (seeded), and "blocked" is checked past a turn in which admission would
// have happened (it takes only microtasks).
import test from 'ava';
import { KeyedApplier } from '../../../agent/pods/status-applier.js';

/** Resolves after one turn of the event loop: every promise reaction queued before it has run. */
const turn = () => new Promise<void>((r) => setImmediate(r));

test('per-key order with bounded concurrency (randomised)', async (t) => {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const a = new KeyedApplier(4);
  const seen = new Map<string, number[]>();
  let running = 0;
  let peak = 0;
  for (let i = 0; i < 300; i++) {
    const key = `pod-${i % 7}`;
    await a.submit(key, async () => {
      running++;
      peak = Math.max(peak, running);
      for (let n = Math.floor(rand() * 4); n > 0; n--) await turn();
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
  const second = a.submit('y', () => Promise.resolve());
  t.is(a.active, 1, 'not admitted when submitted');
  const early = await Promise.race([second.then(() => 'admitted'), turn().then(() => 'waiting')]);
  t.is(early, 'waiting', 'still blocked behind the running job a turn later');
  release();
  t.is(await Promise.race([second.then(() => 'admitted'), turn().then(() => 'waiting')]), 'admitted', 'admitted once the running job ends');
  const ran: string[] = [];
  await a.submit('z', () => Promise.reject(new Error('boom')));
  await a.submit('z', () => (ran.push('after'), Promise.resolve()));
  await a.idle();
  t.deepEqual(ran, ['after']);
});
