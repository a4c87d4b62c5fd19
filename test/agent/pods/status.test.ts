// statusPatch: the merge patch that makes the pod's status equal to the new one, guarded by the uid.
import test from 'ava';
import type { V1PodStatus } from '@kubernetes/client-node';
import { statusPatch } from '../../../agent/pods/status.js';

const cases: { name: string; current: V1PodStatus | undefined; next: V1PodStatus; status: Record<string, unknown> }[] = [
  {
    name: 'first write: the new fields only',
    current: undefined,
    next: { phase: 'Pending', qosClass: 'BestEffort' },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  },
  {
    name: 'a field the new status drops is nulled',
    current: { phase: 'Pending', reason: 'ProviderThrottled', message: 'retrying' },
    next: { phase: 'Running', podIP: '10.0.0.7' },
    status: { phase: 'Running', podIP: '10.0.0.7', reason: null, message: null },
  },
  {
    name: 'lists are sent whole (a merge patch replaces them)',
    current: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
    next: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  },
  {
    name: 'an undefined field in the new status counts as dropped',
    current: { phase: 'Pending', nominatedNodeName: 'n1' },
    next: { phase: 'Pending', nominatedNodeName: undefined },
    status: { phase: 'Pending', nominatedNodeName: null },
  },
];

for (const c of cases) {
  test(`statusPatch: ${c.name}`, (t) => {
    const p = statusPatch('uid-1', c.current, c.next);
    t.deepEqual(p.metadata, { uid: 'uid-1' });
    t.deepEqual(p.status, c.status);
  });
}
