// DescribeContainerGroupPrice on the wire: the unmodified SDK reads every field of PriceInfo (Price per second with
// its DetailInfos, SpotPrices per hour, Rules), ECI's error codes for bad parameters, the table set live through
// POST /__admin/prices (and refused there naming the field), and the action's default bucket: ECI's published 1000/min.
import test from 'ava';
import type { EmulatorConfig } from '../../../cloud/eci-emulator/config.js';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { bucketFor } from '../../../cloud/eci-emulator/limits.js';
import { $Eci, sdkClient, sdkError, type EciClient } from './sdk.js';

let h: EmulatorHandle;
let c: EciClient;
const region = 'cn-hangzhou';

test.before(async () => {
  h = await startEmulator({ runtime: 'simulated' });
  c = sdkClient(h);
});
test.after.always(async () => {
  await h?.close();
});

const admin = (route: string, body?: unknown) =>
  fetch(`${h.url}/__admin/${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const price = (r: Partial<$Eci.DescribeContainerGroupPriceRequest>) => c.describeContainerGroupPrice(new $Eci.DescribeContainerGroupPriceRequest({ regionId: region, ...r }));

test.serial('default prices: the API reference example, 2 vCPU and 4 GiB at 0.00012252 CNY a second, read field by field', async (t) => {
  const r = await price({ cpu: 2, memory: 4 });
  t.is(r.statusCode, 200);
  t.regex(r.body.requestId ?? '', /^[0-9A-F-]{36}$/);
  const p = r.body.priceInfo?.price;
  t.is(p?.currency, 'CNY');
  t.is(p?.originalPrice, 0.00012252);
  t.is(p?.discountPrice, 0);
  t.is(p?.tradePrice, 0.00012252);
  t.deepEqual(
    p?.detailInfos?.detailInfo?.map((d) => ({ resource: d.resource, original: d.originalPrice, discount: d.discountPrice, trade: d.tradePrice, rules: d.rules?.rule })),
    [
      { resource: 'CPU', original: 0.000098, discount: 0, trade: 0.000098, rules: [] },
      { resource: 'Memory', original: 0.00002452, discount: 0, trade: 0.00002452, rules: [] },
    ],
  );
  t.deepEqual(r.body.priceInfo?.rules?.rule, []);
  t.deepEqual(r.body.priceInfo?.spotPrices?.spotPrice, [], 'no spot prices for a pay-as-you-go request');
});

test.serial('a spot request: SpotPrices per hour for the zone asked for, Price still pay-as-you-go', async (t) => {
  const r = await price({ instanceType: 'ecs.c5.large', spotStrategy: 'SpotWithPriceLimit', spotPriceLimit: 0.2, spotDuration: 0, zoneId: 'cn-hangzhou-i' });
  const [s] = r.body.priceInfo?.spotPrices?.spotPrice ?? [];
  t.is(s?.zoneId, 'cn-hangzhou-i');
  t.is(s?.instanceType, 'ecs.c5.large');
  t.is(s?.originPrice, 0.622);
  t.is(s?.spotPrice, Number((0.622 * 0.2).toPrecision(12)));
  t.is(r.body.priceInfo?.price?.tradePrice, Number((0.622 / 3600).toPrecision(12)));
});

const errors: { name: string; req: Partial<$Eci.DescribeContainerGroupPriceRequest>; status: number; code: string; names?: string }[] = [
  { name: 'no Cpu', req: { memory: 4 }, status: 400, code: 'MissingParameter', names: 'Cpu' },
  { name: 'Memory out of range', req: { cpu: 2, memory: 0.1 }, status: 400, code: 'InvalidParameter', names: 'Memory' },
  { name: 'an unknown SpotStrategy', req: { cpu: 2, memory: 4, spotStrategy: 'Cheapest' }, status: 400, code: 'InvalidParameter', names: 'SpotStrategy' },
  { name: 'SpotWithPriceLimit without a limit', req: { cpu: 2, memory: 4, spotStrategy: 'SpotWithPriceLimit' }, status: 400, code: 'MissingParameter', names: 'SpotPriceLimit' },
  { name: 'an unpriced instance type alone', req: { instanceType: 'ecs.nosuch.large' }, status: 400, code: 'InvalidParameter', names: 'InstanceType' },
  { name: 'an unknown region', req: { regionId: 'xx-nowhere-1', cpu: 2, memory: 4 }, status: 400, code: 'InvalidRegionId' },
];

for (const e of errors) {
  test.serial(`${e.name}: ${e.status} ${e.code}`, async (t) => {
    const err = await sdkError(price(e.req));
    t.is(err.code, e.code);
    t.is(err.statusCode, e.status);
    if (e.names) t.regex(err.message, new RegExp(`"${e.names}"`));
  });
}

test.serial('POST /__admin/prices sets the table live; a bad table is 400 naming the field and changes nothing', async (t) => {
  const before = (await (await admin('prices')).json()) as { vcpuHour: number };
  t.is(before.vcpuHour, 0.1764);
  const bad = await admin('prices', { vcpuHour: -1 });
  t.is(bad.status, 400);
  t.like(await bad.json(), { field: 'prices.vcpuHour' });
  t.is((await price({ cpu: 1, memory: 1 })).body.priceInfo?.price?.tradePrice, Number(((0.1764 + 0.022068) / 3600).toPrecision(12)));

  const set = await admin('prices', { currency: 'USD', vcpuHour: 0.36, memoryGiBHour: 0.036, spotDiscount: 0.5, instanceTypes: { 'ecs.g6.large': 0.9 } });
  t.is(set.status, 200);
  t.like(await set.json(), { ok: true, prices: { currency: 'USD', vcpuHour: 0.36, instanceTypes: { 'ecs.c5.large': 0.622, 'ecs.g6.large': 0.9 } } });
  const r = await price({ cpu: 1, memory: 1, spotStrategy: 'SpotAsPriceGo' });
  t.is(r.body.priceInfo?.price?.currency, 'USD');
  t.is(r.body.priceInfo?.price?.tradePrice, 0.00011);
  t.is(r.body.priceInfo?.spotPrices?.spotPrice?.[0]?.spotPrice, 0.198);
  t.is((await price({ instanceType: 'ecs.g6.large' })).body.priceInfo?.price?.tradePrice, 0.00025);
});

test.serial('its default bucket is ECI\'s published 1000 a minute, all at once after a quiet minute', async (t) => {
  const config = (await (await admin('config')).json()) as { rateLimits: EmulatorConfig['rateLimits'] };
  t.deepEqual(config.rateLimits.DescribeContainerGroupPrice, { actions: ['DescribeContainerGroupPrice'], perMinute: 1000 });
  t.deepEqual(bucketFor(config.rateLimits, 'DescribeContainerGroupPrice'), { name: 'DescribeContainerGroupPrice', burst: 1000, perSecond: 1000 / 60 });
});
