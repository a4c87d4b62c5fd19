// The emulator keeps up to 120 metric samples per container group for DescribeContainerGroupMetric; they
// must go with the group, whether it is deleted or swept after its retention, or a long-running emulator
// grows without bound. Driven by the unmodified SDK against the process runtime.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { $Eci, sdkClient, waitFor, type EciClient } from './sdk.js';

let h: EmulatorHandle;
let c: EciClient;

test.before(async () => {
  // Terminal groups are swept at once (no keep time, none kept per region), every 50 ms.
  h = await startEmulator({ runtime: 'process', config: { retention: { terminalKeepMs: 0, keepNewestPerRegion: 0, sweepIntervalMs: 50 } } });
  c = sdkClient(h);
});
test.after.always(async () => {
  await h?.close();
});

async function createGroup(name: string, command: string[], restartPolicy: string): Promise<string> {
  const r = await c.createContainerGroup(
    new $Eci.CreateContainerGroupRequest({ regionId: h.regionId, containerGroupName: name, restartPolicy, container: [{ name: 'app', image: 'busybox', command }] }),
  );
  return r.body.containerGroupId!;
}

const sampled = async (id: string) =>
  (await c.describeContainerGroupMetric(new $Eci.DescribeContainerGroupMetricRequest({ regionId: h.regionId, containerGroupId: id }))).body.records!.length > 0;

test.serial('a deleted group leaves no metric history behind', async (t) => {
  const id = await createGroup('metrics-deleted', ['sleep', '60'], 'Always');
  await waitFor('Running', () => h.admin.listGroups().find((g) => g.id === id)?.status === 'Running');
  t.true(await sampled(id));
  t.is(h.admin.stats().metricHistories, 1);

  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: h.regionId, containerGroupId: id }));
  await waitFor('the history to be dropped', () => h.admin.stats().metricHistories === 0);
  t.is(h.admin.listGroups().length, 0);
});

test.serial('a group swept after its retention leaves no metric history behind', async (t) => {
  const id = await createGroup('metrics-swept', ['sh', '-c', 'sleep 3'], 'Never');
  await waitFor('Running', () => h.admin.listGroups().find((g) => g.id === id)?.status === 'Running');
  t.true(await sampled(id));
  t.is(h.admin.stats().metricHistories, 1);

  // The container ends by itself; the group turns Succeeded and the sweeper drops it.
  await waitFor('the group to be swept', () => !h.admin.listGroups().some((g) => g.id === id), 30_000);
  t.is(h.admin.stats().metricHistories, 0);
});
