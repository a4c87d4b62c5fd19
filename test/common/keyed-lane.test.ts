// KeyedLane: per-key order, parallel keys, failures that do not stop a lane, no entries left behind.
import test from 'ava';
import { KeyedLane } from '../../common/keyed-lane.js';

/** A job that finishes when the test says so, recording when it started. */
function gate(log: string[], name: string) {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { job: () => (log.push(`start ${name}`), done), open, fail };
}

test('jobs of one key run one at a time in order; other keys do not wait', async (t) => {
  const lane = new KeyedLane();
  const log: string[] = [];
  const a1 = gate(log, 'a1');
  const a2 = gate(log, 'a2');
  const b1 = gate(log, 'b1');
  const r1 = lane.run('a', a1.job);
  const r2 = lane.run('a', a2.job);
  const r3 = lane.run('b', b1.job);
  await Promise.resolve();
  await Promise.resolve();
  t.deepEqual(log, ['start a1', 'start b1'], 'a2 waits for a1; b1 does not wait for a');
  b1.open();
  await r3;
  t.deepEqual(log, ['start a1', 'start b1']);
  a1.open();
  await r1;
  await Promise.resolve();
  t.deepEqual(log, ['start a1', 'start b1', 'start a2']);
  a2.open();
  await r2;
  await lane.idle('a');
  t.is(lane.size, 0, 'no entry is kept once a key is idle');
});

test('a failed job rejects its own caller and the lane goes on', async (t) => {
  const lane = new KeyedLane();
  const log: string[] = [];
  const bad = gate(log, 'bad');
  const next = gate(log, 'next');
  const r1 = lane.run('k', bad.job);
  const r2 = lane.run('k', next.job);
  bad.fail(new Error('boom'));
  await t.throwsAsync(r1, { message: 'boom' });
  next.open();
  await r2;
  t.deepEqual(log, ['start bad', 'start next']);
  await lane.idle('k');
  t.is(lane.size, 0);
});

test('results pass through', async (t) => {
  const lane = new KeyedLane();
  t.is(await lane.run('x', () => Promise.resolve(42)), 42);
});
