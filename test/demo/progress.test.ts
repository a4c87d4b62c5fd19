// The demo's progress while it waits (the first cluster build takes ~10 minutes): a line every 15 s with
// the elapsed time and the last build step, steps printed as they come, nothing after stop().
import test from 'ava';
import { elapsed, heartbeat } from '../../demo/progress.js';
import { fakeClock } from '../helpers/fake-clock.js';

test('elapsed time reads as seconds, then minutes and seconds', (t) => {
  const table: [number, string][] = [[0, '0s'], [999, '0s'], [15_000, '15s'], [59_999, '59s'], [60_000, '1m00s'], [75_000, '1m15s'], [605_000, '10m05s']];
  for (const [ms, want] of table) t.is(elapsed(ms), want, `${ms} ms`);
});

test('a heartbeat line every 15 s with the last step; steps at once; silence after stop', (t) => {
  const { fake, clock } = fakeClock(1_000_000);
  const lines: string[] = [];
  const hb = heartbeat((l) => lines.push(l), 'building', 15_000, clock);
  fake.tick(14_999);
  t.deepEqual(lines, [], 'nothing before the first interval');
  fake.tick(1);
  t.deepEqual(lines, ['still building: 15s elapsed']);
  hb.step('build: building Kubernetes v1.37.0 control plane (cold: ~8 min on 2 cores)...');
  t.is(lines.length, 2, 'a step is printed at once');
  fake.tick(15_000);
  t.is(lines[2], 'still building: 30s elapsed (last step: build: building Kubernetes v1.37.0 control plane (cold: ~8 min on 2 cores)...)');
  fake.tick(45_000);
  t.deepEqual(lines.slice(3), ['still building: 45s elapsed (last step: build: building Kubernetes v1.37.0 control plane (cold: ~8 min on 2 cores)...)', 'still building: 1m00s elapsed (last step: build: building Kubernetes v1.37.0 control plane (cold: ~8 min on 2 cores)...)', 'still building: 1m15s elapsed (last step: build: building Kubernetes v1.37.0 control plane (cold: ~8 min on 2 cores)...)']);
  hb.stop();
  fake.tick(600_000);
  t.is(lines.length, 6, 'no line after stop');
  t.is(fake.countTimers(), 0, 'no timer left');
});
