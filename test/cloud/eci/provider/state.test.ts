// Provider state helpers: status bytes are kept in buffers of their own, not in slices of the shared pool.
import test from 'ava';
import { newTracked, observeGroup, ownedUtf8 } from '../../../../cloud/eci/provider/state.js';
import type { EciGroup } from '../../../../cloud/eci/mapping/index.js';

test('ownedUtf8 holds exactly the UTF-8 bytes, in an ArrayBuffer of its own', (t) => {
  for (const s of ['', '{"phase":"Running"}', 'héllo – 容器组 🚀', 'x'.repeat(5000)]) {
    const b = ownedUtf8(s);
    t.is(b.toString('utf8'), s);
    t.is(b.length, Buffer.byteLength(s));
    t.is(b.buffer.byteLength, b.length, 'not a slice of a larger (pooled) buffer');
  }
  // The library default, for contrast: a short string lands in the shared pool.
  t.true(Buffer.from('{"phase":"Running"}').buffer.byteLength > 19);
});

test('statuses kept among short-lived buffers hold only their own bytes', (t) => {
  const kept: Buffer[] = [];
  let pinnedOwned = 0;
  for (let i = 0; i < 2000; i++) {
    kept.push(ownedUtf8(JSON.stringify({ i, pad: 'x'.repeat(600) })));
    Buffer.from('y'.repeat(300)); // short-lived pooled neighbour
  }
  for (const b of new Set(kept.map((b) => b.buffer))) pinnedOwned += b.byteLength;
  t.is(pinnedOwned, kept.reduce((a, b) => a + b.length, 0));
});

// Cadence: which observed groups keep their pod on the fast poll (settling).
const cadence: { name: string; status: string; events?: { reason: string }[]; settling: boolean }[] = [
  { name: 'Running', status: 'Running', settling: false },
  { name: 'Pending', status: 'Pending', settling: true },
  { name: 'Running under a spot release notice', status: 'Running', events: [{ reason: 'SpotToBeReleased' }], settling: true },
  { name: 'Running with other events', status: 'Running', events: [{ reason: 'Started' }], settling: false },
  { name: 'Expired after the notice', status: 'Expired', events: [{ reason: 'SpotToBeReleased' }], settling: false },
  { name: 'Succeeded', status: 'Succeeded', settling: false },
];
for (const c of cadence) {
  test(`observeGroup cadence: ${c.name} → ${c.settling ? 'fast' : 'slow'}`, (t) => {
    const tr = newTracked('uid-1', { metadata: { name: 'p', namespace: 'ns', uid: 'uid-1' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, 1, true);
    observeGroup(tr, { containerGroupId: 'eci-1', status: c.status, events: c.events, containers: [] } as unknown as EciGroup);
    t.is(tr.settling, c.settling);
  });
}
