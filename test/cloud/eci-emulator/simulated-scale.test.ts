// Simulated runtime at scale: 5,000 groups created through the unmodified SDK (bounded loop, limits disabled),
// then paged through DescribeContainerGroups; every group is seen exactly once and memory stays modest.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { $Eci, sdkClient, waitFor } from './sdk.js';

const TOTAL = 5000;
const CONCURRENCY = 16;
let h: EmulatorHandle;

test.before(async () => {
  h = await startEmulator({ runtime: 'simulated', config: { rateLimitsEnabled: false, createLatency: { schedulingMs: 0, pendingMs: 0 } } });
});
test.after.always(async () => {
  await h?.close();
});

test('5,000 simulated groups are created and paged through via the SDK', async (t) => {
  const c = sdkClient(h);
  const heapBefore = process.memoryUsage().heapUsed;
  const ids = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOTAL) {
        const i = next++;
        const r = await c.createContainerGroup(
          new $Eci.CreateContainerGroupRequest({
            regionId: 'cn-hangzhou',
            containerGroupName: `scale-${i}`,
            tag: [{ key: 'PodName', value: `p${i}` }],
            container: [{ name: 'app', image: 'nginx', cpu: 0.25, memory: 0.5, port: [{ port: 80 }] }],
          }),
        );
        ids.add(r.body.containerGroupId!);
      }
    }),
  );
  t.is(ids.size, TOTAL);
  await waitFor('all Running', () => h.admin.stats().groupsByStatus.Running === TOTAL, 60_000, 200);
  const seen = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  do {
    const r = await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: 'cn-hangzhou', limit: 20, nextToken: token, withEvent: false }));
    t.is(r.body.totalCount, TOTAL);
    for (const g of r.body.containerGroups!) seen.add(g.containerGroupId!);
    token = r.body.nextToken || undefined;
    pages++;
  } while (token && pages <= TOTAL / 20 + 1);
  t.is(pages, TOTAL / 20);
  t.is(seen.size, TOTAL);
  t.true([...ids].every((id) => seen.has(id)));
  // Bounded footprint: far below what a process per group would need (the whole test process, SDK included).
  const grown = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  t.log(`heap growth ${grown.toFixed(1)} MiB for ${TOTAL} groups`);
  t.true(grown < 400);
  t.is(h.admin.stats().callsByAction.CreateContainerGroup, TOTAL);
});
