// statusPatch: the merge patch that makes the pod's status equal to the new one, guarded by the uid.
import test from 'ava';
import type { V1PodStatus } from '@kubernetes/client-node';
import { statusPatch } from '../../../agent/pods/status.js';

/** Owned fields the new status leaves out are cleared even if the cached status does not show them. */
const cleared = (...keep: string[]) =>
  Object.fromEntries(
    ['phase', 'conditions', 'message', 'reason', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses']
      .filter((k) => !keep.includes(k))
      .map((k) => [k, null]),
  );

const cases: { name: string; current: V1PodStatus | undefined; next: V1PodStatus; status: Record<string, unknown> }[] = [
  {
    name: 'first write: the new fields, every other owned field cleared',
    current: undefined,
    next: { phase: 'Pending', qosClass: 'BestEffort' },
    status: { ...cleared('phase'), phase: 'Pending', qosClass: 'BestEffort' },
  },
  {
    name: 'a field the new status drops is nulled',
    current: { phase: 'Pending', reason: 'ProviderThrottled', message: 'retrying' },
    next: { phase: 'Running', podIP: '10.0.0.7' },
    status: { ...cleared('phase', 'podIP'), phase: 'Running', podIP: '10.0.0.7' },
  },
  {
    name: 'a stale cache that misses our last reason still clears it',
    current: { phase: 'Pending' },
    next: { phase: 'Running' },
    status: { ...cleared('phase'), phase: 'Running' },
  },
  {
    name: 'lists are sent whole (a merge patch replaces them)',
    current: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
    next: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    status: { ...cleared('phase', 'conditions'), phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  },
  {
    name: 'a field someone else set is cleared only as a whole-status write would (present in the cache)',
    current: { phase: 'Pending', nominatedNodeName: 'n1' },
    next: { phase: 'Pending', nominatedNodeName: undefined },
    status: { ...cleared('phase'), phase: 'Pending', nominatedNodeName: null },
  },
  {
    name: 'fields not ours and not in the cache are left alone',
    current: { phase: 'Pending' },
    next: { phase: 'Running', qosClass: 'Burstable' },
    status: { ...cleared('phase'), phase: 'Running', qosClass: 'Burstable' },
  },
];

for (const c of cases) {
  test(`statusPatch: ${c.name}`, (t) => {
    const p = statusPatch('uid-1', c.current, c.next);
    t.deepEqual(p.metadata, { uid: 'uid-1' });
    t.deepEqual(p.status, c.status);
    t.false('resize' in p.status || 'resourceClaimStatuses' in p.status, 'fields other components own are not touched');
  });
}
