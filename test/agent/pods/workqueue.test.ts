// The pod work queue: a key waits at most once however often it is added (coalescing, so the backlog is
// bounded by the number of distinct keys), one worker per key at a time, a key re-added while it is being
// processed runs once more afterwards, failures come back after a back-off (on a fake clock: not before, at
// the delay), and a random schedule of adds and failures (property test) never runs a key concurrently,
// never loses the last add, never grows the backlog.
import test from 'ava';
import { WorkQueue } from '../../../agent/pods/workqueue.js';
import { fakeClock } from '../../helpers/fake-clock.js';

const EMPTY = { queued: 0, delayed: 0, dirty: 0, processing: 0 };

test('10,000 adds of one key while it is processing coalesce into one extra run', async (t) => {
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new WorkQueue(async () => {
    runs++;
    if (runs === 1) await gate;
  }, { workers: 4 });
  q.add('ns/pod');
  t.is(runs, 1, 'a free worker takes the key at once');
  for (let i = 0; i < 10_000; i++) q.add('ns/pod');
  const p = q.pending;
  t.deepEqual(p, { queued: 0, delayed: 0, dirty: 1, processing: 1 }, 'one dirty mark, nothing else');
  release();
  await q.idle();
  t.is(runs, 2);
  t.deepEqual(q.pending, EMPTY, 'nothing left that could run a third time');
});

test('adds of many keys while stopped-up are bounded by distinct keys', async (t) => {
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new WorkQueue(async (k) => {
    await gate;
    seen.push(k);
  }, { workers: 2 });
  for (let round = 0; round < 500; round++) for (let i = 0; i < 30; i++) q.add(`ns/p${i}`);
  const p = q.pending;
  t.true(p.queued + p.processing + p.dirty <= 30 + 2, JSON.stringify(p));
  release();
  await q.idle();
  t.deepEqual(q.pending, EMPTY, 'drained: no run is still to come');
  t.is(new Set(seen).size, 30);
  t.true(seen.length <= 32, `each key ran about once (${seen.length} runs)`);
});

test('a failing key comes back after its back-off, not before; the back-off doubles up to its cap', async (t) => {
  const { fake, clock } = fakeClock();
  let calls = 0;
  const q = new WorkQueue(() => (++calls <= 4 ? Promise.reject(new Error('tunnel down')) : Promise.resolve()), { workers: 1, baseDelayMs: 100, maxDelayMs: 300, clock });
  t.teardown(() => q.stop());
  q.add('k');
  await q.idle();
  t.is(calls, 1);
  // Each failure waits base·2^(n-1), capped: 100, 200, 300, 300.
  for (const [n, delay] of [[1, 100], [2, 200], [3, 300], [4, 300]]) {
    t.is(q.pending.delayed, 1, `failure ${n}: waiting for its retry`);
    t.is(q.retries('k'), n);
    await fake.tickAsync(delay - 1);
    t.is(calls, n, `failure ${n}: not retried before ${delay} ms`);
    await fake.tickAsync(1);
    await q.idle();
    t.is(calls, n + 1, `failure ${n}: retried at ${delay} ms`);
  }
  t.deepEqual(q.pending, EMPTY, 'the fifth run succeeded: nothing waits');
});

test('add() cancels the back-off wait: the key runs at once and the cancelled retry never fires', async (t) => {
  const { fake, clock } = fakeClock();
  let calls = 0;
  const q = new WorkQueue(() => (++calls === 1 ? Promise.reject(new Error('tunnel down')) : Promise.resolve()), { workers: 1, baseDelayMs: 60_000, clock });
  t.teardown(() => q.stop());
  q.add('k');
  await q.idle();
  t.is(calls, 1);
  t.is(q.pending.delayed, 1, 'waiting for its retry');
  q.add('k');
  await q.idle();
  t.is(calls, 2, 'the explicit add ran it at once');
  t.is(q.pending.delayed, 0);
  t.is(fake.countTimers(), 0, 'the retry timer was cleared');
  await fake.tickAsync(120_000);
  t.is(calls, 2, 'past the back-off: no second retry');
});

test('property: random adds and failures never run a key concurrently nor drop the last add', async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    let s = seed;
    const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const { fake, clock } = fakeClock();
    const running = new Set<string>();
    const lastAdd = new Map<string, number>();
    const lastRunStart = new Map<string, number>();
    let order = 0;
    let overlap = false;
    let maxBacklog = 0;
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const q = new WorkQueue(async (k) => {
      if (running.has(k)) overlap = true;
      running.add(k);
      lastRunStart.set(k, ++order);
      // The work takes 0 or 1 ms of the fake clock, so runs of different keys interleave.
      await new Promise<void>((r) => clock.setTimeout(r, rand() < 0.5 ? 0 : 1));
      running.delete(k);
      if (rand() < 0.2) throw new Error('transient');
    }, { workers: 3, baseDelayMs: 1, maxDelayMs: 4, clock });
    for (let i = 0; i < 400; i++) {
      const k = keys[Math.floor(rand() * keys.length)];
      lastAdd.set(k, ++order);
      q.add(k);
      const p = q.pending;
      maxBacklog = Math.max(maxBacklog, p.queued + p.delayed + p.dirty);
      if (rand() < 0.3) await fake.tickAsync(rand() < 0.5 ? 0 : 1);
    }
    // Drain, including retries after failures: run the fake clock until no timer is left (bounded by the
    // clock's loop limit); a failure always leaves a retry timer, so an empty clock means every run succeeded.
    await fake.runAllAsync();
    t.deepEqual(q.pending, EMPTY, `seed ${seed}: drained`);
    t.false(overlap, `seed ${seed}: a key ran concurrently`);
    t.true(maxBacklog <= keys.length * 2, `seed ${seed}: backlog ${maxBacklog}`);
    for (const k of lastAdd.keys()) t.true((lastRunStart.get(k) ?? 0) > (lastAdd.get(k) ?? 0), `seed ${seed}: ${k} ran after its last add`);
    q.stop();
  }
});
