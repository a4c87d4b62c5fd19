// The pod work queue: a key waits at most once however often it is added (coalescing, so the backlog is
// bounded by the number of distinct keys), one worker per key at a time, a key re-added while it is being
// processed runs once more afterwards, failures come back after a back-off, and a random schedule of adds
// and failures (property test) never runs a key concurrently, never loses the last add, never grows the backlog.
import test from 'ava';
import { WorkQueue } from '../../../agent/pods/workqueue.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

test('10,000 adds of one key while it is processing coalesce into one extra run', async (t) => {
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new WorkQueue(async () => {
    runs++;
    if (runs === 1) await gate;
  }, { workers: 4 });
  q.add('ns/pod');
  await tick();
  for (let i = 0; i < 10_000; i++) q.add('ns/pod');
  const p = q.pending;
  t.deepEqual(p, { queued: 0, delayed: 0, dirty: 1, processing: 1 }, 'one dirty mark, nothing else');
  release();
  await q.idle();
  await tick();
  t.is(runs, 2);
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
  await tick();
  t.is(new Set(seen).size, 30);
  t.true(seen.length <= 32, `each key ran about once (${seen.length} runs)`);
});

test('a failing key is retried after a back-off; add() cancels the wait', async (t) => {
  let calls = 0;
  const q = new WorkQueue(() => (++calls === 1 ? Promise.reject(new Error('tunnel down')) : Promise.resolve()), { workers: 1, baseDelayMs: 60_000 });
  q.add('k');
  await tick(20);
  t.is(calls, 1);
  t.is(q.pending.delayed, 1, 'waiting for its retry');
  q.add('k');
  await q.idle();
  await tick(10);
  t.is(calls, 2, 'the explicit add ran it at once');
  t.is(q.pending.delayed, 0);
  q.stop();
});

test('property: random adds and failures never run a key concurrently nor drop the last add', async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    let s = seed;
    const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const running = new Set<string>();
    const lastAdd = new Map<string, number>();
    const lastRunStart = new Map<string, number>();
    let clock = 0;
    let overlap = false;
    let maxBacklog = 0;
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const q = new WorkQueue(async (k) => {
      if (running.has(k)) overlap = true;
      running.add(k);
      lastRunStart.set(k, ++clock);
      await tick(rand() < 0.5 ? 0 : 1);
      running.delete(k);
      if (rand() < 0.2) throw new Error('transient');
    }, { workers: 3, baseDelayMs: 1, maxDelayMs: 4 });
    for (let i = 0; i < 400; i++) {
      const k = keys[Math.floor(rand() * keys.length)];
      lastAdd.set(k, ++clock);
      q.add(k);
      const p = q.pending;
      maxBacklog = Math.max(maxBacklog, p.queued + p.delayed + p.dirty);
      if (rand() < 0.3) await tick(0);
    }
    // Drain, including retries after failures.
    for (let i = 0; i < 200 && (q.pending.queued + q.pending.delayed + q.pending.dirty + q.pending.processing > 0); i++) await tick(5);
    t.false(overlap, `seed ${seed}: a key ran concurrently`);
    t.true(maxBacklog <= keys.length * 2, `seed ${seed}: backlog ${maxBacklog}`);
    for (const k of lastAdd.keys()) t.true((lastRunStart.get(k) ?? 0) > (lastAdd.get(k) ?? 0), `seed ${seed}: ${k} ran after its last add`);
    q.stop();
  }
});
