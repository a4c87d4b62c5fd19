// StatusTracker: idempotent application under re-delivery and reordering (property test with a
// seeded random event stream), snapshot semantics (absent pods become gone), cursor handling.
import test from 'ava';
import { StatusTracker } from '../../../agent/tunnel/status-tracker.js';
import type { StatusEvent__Output } from '../../../proto/gen/ecigw/tunnel/v1/StatusEvent.js';

const pod = (uid: string, statusVersion: number, gone = false) => ({ uid, namespace: 'ns', name: uid, generation: 1, providerId: `p-${uid}`, statusVersion, statusJson: Buffer.alloc(0), events: [], gone });
const ev = (seq: number, p: ReturnType<typeof pod>): StatusEvent__Output => ({ epoch: 'e1', seq, event: 'pod', pod: p });

function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

test('property: duplicates and reorderings never apply a version twice or go backwards', (t) => {
  for (let run = 0; run < 200; run++) {
    const r = rng(run + 1);
    const uids = ['a', 'b', 'c'];
    const truth = new Map<string, number>();
    const events: StatusEvent__Output[] = [];
    for (let seq = 1; seq <= 60; seq++) {
      const u = uids[Math.floor(r() * uids.length)];
      const v = (truth.get(u) ?? 0) + 1;
      truth.set(u, v);
      events.push(ev(seq, pod(u, v)));
    }
    // Corrupt the stream: re-deliver random earlier events and swap neighbours.
    const noisy: StatusEvent__Output[] = [];
    for (const e of events) {
      noisy.push(e);
      if (r() < 0.3) noisy.push(events[Math.floor(r() * noisy.length) % events.length]);
    }
    for (let i = 0; i + 1 < noisy.length; i++) if (r() < 0.1) [noisy[i], noisy[i + 1]] = [noisy[i + 1], noisy[i]];
    const tr = new StatusTracker();
    const applied = new Map<string, number[]>();
    for (const e of noisy) for (const s of tr.apply(e)) applied.set(s.uid, [...(applied.get(s.uid) ?? []), s.statusVersion]);
    for (const [u, vs] of applied) {
      t.true(vs.every((v, i) => i === 0 || v > vs[i - 1]), `run ${run} pod ${u}: ${vs.join(',')}`);
      t.is(new Set(vs).size, vs.length);
    }
    // The newest version of each pod is always applied (nothing is lost).
    for (const [u, v] of truth) t.is(tr.versionOf(u), v, `run ${run} pod ${u}`);
  }
});

test('snapshot: absent pods become gone once; cursor moves only at snapshot end', (t) => {
  const tr = new StatusTracker();
  tr.apply(ev(1, pod('a', 1)));
  tr.apply(ev(2, pod('b', 1)));
  t.deepEqual(tr.cursor, { epoch: 'e1', seq: 2 });
  t.deepEqual(tr.apply({ epoch: 'e2', seq: 5, event: 'snapshotBegin', snapshotBegin: { podCount: 1 } }), []);
  t.deepEqual(tr.apply({ epoch: 'e2', seq: 5, event: 'pod', pod: pod('a', 3) }).map((p) => p.statusVersion), [3]);
  t.deepEqual(tr.cursor, { epoch: 'e1', seq: 2 }, 'mid-snapshot cursor unchanged');
  const end = tr.apply({ epoch: 'e2', seq: 5, event: 'snapshotEnd', snapshotEnd: { podCount: 1 } });
  t.deepEqual(end.map((p) => [p.uid, p.gone]), [['b', true]]);
  t.deepEqual(tr.cursor, { epoch: 'e2', seq: 5 });
  // A late re-delivery of b's old state does not resurrect it; a second snapshot does not re-report it.
  t.deepEqual(tr.apply(ev(6, pod('b', 1))), []);
  tr.apply({ epoch: 'e2', seq: 7, event: 'snapshotBegin', snapshotBegin: { podCount: 0 } });
  t.deepEqual(tr.apply({ epoch: 'e2', seq: 7, event: 'snapshotEnd', snapshotEnd: { podCount: 0 } }).map((p) => p.uid), ['a']);
});

test('bookmarks move the cursor and apply nothing', (t) => {
  const tr = new StatusTracker();
  t.deepEqual(tr.apply({ epoch: 'e9', seq: 42, event: 'bookmark', bookmark: {} }), []);
  t.deepEqual(tr.cursor, { epoch: 'e9', seq: 42 });
});

test('tombstones are bounded', (t) => {
  const tr = new StatusTracker(10);
  for (let i = 0; i < 100; i++) {
    tr.apply(ev(2 * i + 1, pod(`p${i}`, 1)));
    tr.apply(ev(2 * i + 2, pod(`p${i}`, 2, true)));
  }
  const kept = Array.from({ length: 100 }, (_, i) => tr.versionOf(`p${i}`)).filter((v) => v !== undefined).length;
  t.true(kept <= 10, `kept ${kept}`);
});
