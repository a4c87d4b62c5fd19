// diffInventory (cloud/pod-provider/reconcile.ts): missing, stale and orphans, gone pods ignored.
import test from 'ava';
import { diffInventory } from '../../../cloud/pod-provider/reconcile.js';

const st = (uid: string, generation: number, gone = false) => ({ uid, namespace: 'ns', name: uid, generation, providerId: `p-${uid}`, statusVersion: 1, statusJson: Buffer.alloc(0), events: [], gone });

test('inventory diff', (t) => {
  const r = diffInventory(
    [
      { uid: 'same', generation: 2 },
      { uid: 'newer', generation: 3 },
      { uid: 'absent', generation: 1 },
      { uid: 'deleted', generation: 1 },
    ],
    [st('same', 2), st('newer', 1), st('orphan', 4), st('deleted', 1, true)],
  );
  t.deepEqual(r.missing, [{ uid: 'absent', generation: 1 }, { uid: 'deleted', generation: 1 }]);
  t.deepEqual(r.stale, [{ uid: 'newer', generation: 1 }]);
  t.deepEqual(r.orphans, [{ uid: 'orphan', providerId: 'p-orphan', namespace: 'ns', name: 'orphan' }]);
});
