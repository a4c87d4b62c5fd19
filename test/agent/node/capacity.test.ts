// cappedAllocatable: the virtual node's allocatable under the relay's caps.
import test from 'ava';
import { cappedAllocatable, capShares } from '../../../agent/node/capacity.js';

const configured = { cpu: '1000', memory: '4Ti', pods: '5000', 'ephemeral-storage': '10Ti' };
const cap = (resource: string, key: string, limit: number, used: number, usedHere: number) => ({ resource, key, limit, used, usedHere });

const cases: { name: string; caps: ReturnType<typeof cap>[]; want: Partial<Record<string, string>> }[] = [
  { name: 'no caps: the configured capacity', caps: [], want: configured },
  { name: 'a cluster cap is the allocatable (the scheduler counts this node\'s pods itself)', caps: [cap('cpu', 'quotas.clusters.c1.maxVcpu', 4, 3, 3)], want: { ...configured, cpu: '4000m' } },
  { name: 'a tenant cap leaves what other clusters do not use', caps: [cap('pods', 'quotas.maxPods', 10, 7, 2)], want: { ...configured, pods: '5' } },
  { name: 'the tightest of two caps', caps: [cap('cpu', 'quotas.maxVcpu', 16, 10, 2), cap('cpu', 'quotas.clusters.c1.maxVcpu', 6, 2, 2)], want: { ...configured, cpu: '6000m' } },
  { name: 'memory in GiB becomes Mi; fractions round down', caps: [cap('memory', 'quotas.maxMemoryGiB', 10.5, 0, 0), cap('cpu', 'quotas.maxVcpu', 2.2505, 0, 0)], want: { ...configured, memory: '10752Mi', cpu: '2250m' } },
  { name: 'others over the cap leave nothing (never negative)', caps: [cap('pods', 'quotas.maxPods', 5, 9, 1)], want: { ...configured, pods: '0' } },
  { name: 'a cap above the configured capacity changes nothing', caps: [cap('pods', 'quotas.maxPods', 100000, 0, 0)], want: configured },
  { name: 'spend with room left changes nothing', caps: [cap('spend', 'quotas.maxSpendPerHour', 10, 9.5, 9.5)], want: configured },
  { name: 'spend used up takes the pod slots away', caps: [cap('spend', 'quotas.maxSpendPerHour', 10, 10.2, 3)], want: { ...configured, pods: '0' } },
  { name: 'an unknown resource is ignored', caps: [cap('gpu', 'quotas.maxGpu', 1, 0, 0)], want: configured },
];
for (const c of cases) test(`cappedAllocatable: ${c.name}`, (t) => t.deepEqual(cappedAllocatable(configured, c.caps), c.want));

test('capShares names the deciding cap', (t) => {
  const shares = capShares([cap('cpu', 'quotas.maxVcpu', 16, 15, 2), cap('cpu', 'quotas.clusters.c1.maxVcpu', 6, 2, 2)]);
  t.deepEqual(shares.get('cpu'), { share: 3, key: 'quotas.maxVcpu' });
});
