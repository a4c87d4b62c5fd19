// PriceBook against the ECI emulator through a tenant's EciCaller and the unmodified SDK: prices per hour for
// pay-as-you-go, instance types and spot; one call per spec within the TTL and another after it; concurrent asks
// sharing one call; a failed lookup rejecting with PriceLookupError and not cached; priceSpecOf from a real
// DescribeContainerGroups group.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { createEciCaller } from '../../../cloud/eci/client.js';
import { PriceBook, PriceLookupError, priceSpecOf, type PriceSpec } from '../../../cloud/eci/pricing.js';
import { $Eci } from '../../../cloud/eci/sdk.js';
import { waitFor } from '../eci-emulator/sdk.js';

// Round numbers: 1 vCPU-hour 0.36, 1 GiB-hour 0.036 (so 2 vCPU + 4 GiB = 0.864/h), spot at a quarter.
const TABLE = { currency: 'USD', vcpuHour: 0.36, memoryGiBHour: 0.036, spotDiscount: 0.75, instanceTypes: { 'ecs.g6.large': 0.72 } };
const ACTION = 'DescribeContainerGroupPrice';

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 10, pendingMs: 0 } } });
  const res = await adminPost('prices', TABLE);
  if (res.status !== 200) throw new Error(`setting prices: ${res.status} ${await res.text()}`);
});
test.after.always(() => emu?.close());

function adminPost(route: string, body: unknown): Promise<Response> {
  return fetch(`${emu.url}/__admin/${route}`, { method: 'POST', headers: { authorization: `Bearer ${emu.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const caller = (retry?: { maxAttempts: number }) =>
  createEciCaller({ tenantId: 't-price', endpoint: { endpoint: emu.endpoint, protocol: 'http', regionId: emu.regionId, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret }, retry });
/** Price calls the emulator has seen so far. */
const calls = () => emu.admin.stats().callsByAction[ACTION] ?? 0;
const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;

const spec = (over: Partial<PriceSpec> = {}): PriceSpec => ({ regionId: emu.regionId, cpu: 2, memoryGiB: 4, ...over });

test.serial('prices per hour: vCPU and memory, a priced instance type, spot at its hourly spot price', async (t) => {
  const book = new PriceBook(caller());
  t.true(near(await book.pricePerHour(spec()), 0.864));
  t.true(near(await book.pricePerHour(spec({ cpu: 0.5, memoryGiB: 1 })), 0.216));
  t.true(near(await book.pricePerHour(spec({ instanceType: 'ecs.g6.large' })), 0.72));
  t.true(near(await book.pricePerHour(spec({ spotStrategy: 'SpotAsPriceGo' })), 0.216));
  t.true(near(await book.pricePerHour(spec({ spotStrategy: 'SpotWithPriceLimit', spotPriceLimit: 0.5 })), 0.216));
});

test.serial('one call per spec within the TTL; NoSpot is the same spec as no strategy; asked again once it expires', async (t) => {
  let now = 1_000_000;
  const book = new PriceBook(caller(), { ttlMs: 60_000, now: () => now });
  const before = calls();
  await book.pricePerHour(spec());
  await book.pricePerHour(spec({ spotStrategy: 'NoSpot', spotPriceLimit: 9 }));
  now += 59_999;
  await book.pricePerHour(spec());
  t.is(calls() - before, 1, 'cached for the TTL');
  await book.pricePerHour(spec({ memoryGiB: 8 }));
  t.is(calls() - before, 2, 'another spec is another call');
  now += 1;
  t.true(near(await book.pricePerHour(spec()), 0.864));
  t.is(calls() - before, 3, 'asked again after the TTL');
});

test.serial('concurrent asks for one spec share one call', async (t) => {
  const book = new PriceBook(caller());
  const before = calls();
  const prices = await Promise.all(Array.from({ length: 8 }, () => book.pricePerHour(spec({ cpu: 4, memoryGiB: 8 }))));
  t.true(prices.every((p) => near(p, 1.728)));
  t.is(calls() - before, 1);
});

test.serial('a failed lookup rejects with PriceLookupError carrying ECI\'s code, and is not cached', async (t) => {
  const book = new PriceBook(caller({ maxAttempts: 1 }));
  emu.admin.setFaults({ [ACTION]: { errorRate: 1, errorStatus: 503 } });
  t.teardown(() => emu.admin.setFaults({}));
  const asks = [book.pricePerHour(spec({ cpu: 8, memoryGiB: 16 })), book.pricePerHour(spec({ cpu: 8, memoryGiB: 16 }))];
  for (const ask of asks) {
    const err = await t.throwsAsync(ask, { instanceOf: PriceLookupError });
    t.is(err?.code, 'ServiceUnavailable');
    t.like(err?.spec, { cpu: 8, memoryGiB: 16 });
  }
  emu.admin.setFaults({});
  const before = calls();
  t.true(near(await book.pricePerHour(spec({ cpu: 8, memoryGiB: 16 })), 3.456));
  t.is(calls() - before, 1, 'the failure was not remembered');

  const refused = await t.throwsAsync(book.pricePerHour(spec({ cpu: 0.1 })), { instanceOf: PriceLookupError });
  t.is(refused?.code, 'InvalidParameter', 'a spec ECI refuses');
});

test.serial('priceSpecOf: a spot group from DescribeContainerGroups is priced as it runs', async (t) => {
  const c = caller();
  const created = await c.call('CreateContainerGroup', (cl, rt) =>
    cl.createContainerGroupWithOptions(
      new $Eci.CreateContainerGroupRequest({ regionId: emu.regionId, containerGroupName: 'priced', cpu: 1, memory: 2, spotStrategy: 'SpotWithPriceLimit', spotPriceLimit: 0.3, container: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] }),
      rt,
    ),
  );
  const id = created.body.containerGroupId!;
  const group = await waitFor('the group described', async () => {
    const r = await c.call('DescribeContainerGroups', (cl, rt) => cl.describeContainerGroupsWithOptions(new $Eci.DescribeContainerGroupsRequest({ regionId: emu.regionId, containerGroupIds: JSON.stringify([id]) }), rt));
    return r.body.containerGroups?.[0];
  });
  const s = priceSpecOf(group);
  t.deepEqual(s, { regionId: emu.regionId, cpu: 1, memoryGiB: 2, spotStrategy: 'SpotWithPriceLimit', spotPriceLimit: 0.3 });
  t.true(near(await new PriceBook(c).pricePerHour(s!), (0.36 + 2 * 0.036) * 0.25));
});

const group = (fields: Record<string, unknown>) => new $Eci.DescribeContainerGroupsResponseBodyContainerGroups(fields);

test('priceSpecOf: NoSpot and an unused SpotPriceLimit are left out; a group without region or size has none', (t) => {
  t.deepEqual(priceSpecOf(group({ regionId: 'cn-hangzhou', cpu: 2, memory: 4, instanceType: 'ecs.c5.large', spotStrategy: 'NoSpot', spotPriceLimit: 0 })), { regionId: 'cn-hangzhou', cpu: 2, memoryGiB: 4, instanceType: 'ecs.c5.large' });
  t.deepEqual(priceSpecOf(group({ regionId: 'cn-hangzhou', cpu: 2, memory: 4, instanceType: '', spotStrategy: 'SpotAsPriceGo', spotPriceLimit: 0 })), { regionId: 'cn-hangzhou', cpu: 2, memoryGiB: 4, spotStrategy: 'SpotAsPriceGo' });
  t.is(priceSpecOf(group({ cpu: 2, memory: 4 })), undefined);
  t.is(priceSpecOf(group({ regionId: 'cn-hangzhou', cpu: 0, memory: 4 })), undefined);
});
