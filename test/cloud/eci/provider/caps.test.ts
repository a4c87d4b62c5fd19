// caps.ts: which caps apply to a cluster's pods and what they leave, and which cap one more group would break.
import test from 'ava';
import { breachedCap, capStates, type GroupUsage } from '../../../../cloud/eci/provider/caps.js';

const g = (cluster: string, cpu: number, memoryGiB: number): GroupUsage => ({ cluster, cpu, memoryGiB });
const groups = [g('a', 1, 2), g('a', 0.5, 1), g('b', 2, 4)];

test('capStates: tenant caps count every cluster, a cluster cap only its own; absent fields are no caps', (t) => {
  const caps = { maxPods: 10, maxVcpu: 8, clusters: { a: { maxVcpu: 2, maxMemoryGiB: 3 } } };
  t.deepEqual(capStates(caps, groups, 'a'), [
    { resource: 'pods', key: 'quotas.maxPods', limit: 10, used: 3, usedHere: 2 },
    { resource: 'cpu', key: 'quotas.maxVcpu', limit: 8, used: 3.5, usedHere: 1.5 },
    { resource: 'cpu', key: 'quotas.clusters.a.maxVcpu', limit: 2, used: 1.5, usedHere: 1.5 },
    { resource: 'memory', key: 'quotas.clusters.a.maxMemoryGiB', limit: 3, used: 3, usedHere: 3 },
  ]);
  t.deepEqual(capStates(caps, groups, 'b').map((s) => s.key), ['quotas.maxPods', 'quotas.maxVcpu'], 'cluster a\'s caps are not b\'s');
});

const breaches: { name: string; caps: Parameters<typeof breachedCap>[0]; want: GroupUsage; key: string | undefined }[] = [
  { name: 'fits every cap', caps: { maxPods: 4, maxVcpu: 4.5 }, want: g('a', 1, 2), key: undefined },
  { name: 'exactly at the vCPU cap fits (sums of quarters do not drift)', caps: { maxVcpu: 3.75 }, want: g('a', 0.25, 0.5), key: undefined },
  { name: 'one pod too many', caps: { maxPods: 3 }, want: g('a', 0.25, 0.5), key: 'quotas.maxPods' },
  { name: 'vCPU over the tenant cap', caps: { maxPods: 10, maxVcpu: 4 }, want: g('b', 1, 2), key: 'quotas.maxVcpu' },
  { name: 'memory over the cluster cap, tenant cap fine', caps: { maxMemoryGiB: 100, clusters: { a: { maxMemoryGiB: 4 } } }, want: g('a', 1, 2), key: 'quotas.clusters.a.maxMemoryGiB' },
  { name: 'another cluster\'s cap does not apply', caps: { clusters: { a: { maxPods: 2 } } }, want: g('b', 1, 2), key: undefined },
];
for (const c of breaches) test(`breachedCap: ${c.name}`, (t) => t.is(breachedCap(c.caps, groups, c.want)?.key, c.key));
