// The agent's interactive-session cap: 3/4 of the relay's streams per connection, never above the
// configured cap, at least 1; slots are released once.
import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { InteractiveSlots, SessionLimitError } from '../../../agent/tunnel/session-slots.js';

test('cap: 3/4 of the relay streams, bounded by the configured cap', (t) => {
  const cases: [configured: number, relayStreams: number | undefined, cap: number][] = [
    [192, 256, 192],
    [192, 1000, 192],
    [1000, 1000, 750],
    [192, 16, 12],
    [5, 16, 5],
    [192, 1, 1],
    [192, undefined, 192],
  ];
  for (const [configured, streams, cap] of cases) t.is(new InteractiveSlots(configured).cap(streams), cap, `${configured}/${streams}`);
});

test('acquire refuses past the cap with RESOURCE_EXHAUSTED and a release frees exactly one slot', (t) => {
  const s = new InteractiveSlots(2);
  const a = s.acquire('exec', 256);
  s.acquire('logs', 256);
  const e = t.throws(() => s.acquire('portforward', 256), { instanceOf: SessionLimitError });
  t.is(e.code, grpc.status.RESOURCE_EXHAUSTED);
  t.regex(e.message, /^portforward: this agent already has 2 interactive sessions open on its tunnel \(cap 2: maxInteractiveSessions=2/);
  a();
  a();
  t.is(s.count, 1);
  t.notThrows(() => s.acquire('exec', 256));
});
