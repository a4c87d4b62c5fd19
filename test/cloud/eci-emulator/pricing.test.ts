// The emulator's price computation under injected tables: per-second Price from vCPU and GiB hours, instance-type
// prices, spot prices per hour, the unknown-type rule, the request's error codes, and the table's validation.
import test from 'ava';
import { ConfigError } from '../../../cloud/eci-emulator/config.js';
import { EciError } from '../../../cloud/eci-emulator/errors.js';
import { DEFAULT_PRICES, mergePrices, parsePriceRequest, priceInfo, type PriceRequest, type PriceTable } from '../../../cloud/eci-emulator/pricing.js';

// Round numbers so the expected values are plain arithmetic.
const TABLE: PriceTable = { currency: 'USD', vcpuHour: 0.36, memoryGiBHour: 0.036, instanceTypes: { 'ecs.g6.large': 0.72 }, spotDiscount: 0.75 };

interface Quote {
  Price: { Currency: string; OriginalPrice: number; DiscountPrice: number; TradePrice: number; DetailInfos: { DetailInfo: { Resource: string; TradePrice: number }[] } };
  SpotPrices: { SpotPrice: { ZoneId?: string; InstanceType: string; OriginPrice: number; SpotPrice: number }[] };
  Rules: { Rule: unknown[] };
}
const quote = (table: PriceTable, r: Partial<PriceRequest>): Quote => priceInfo(table, { spotStrategy: 'NoSpot', ...r }) as unknown as Quote;

const cases: { name: string; req: Partial<PriceRequest>; perSecond: number; details: [string, number][]; spot?: { type: string; origin: number; spot: number } }[] = [
  { name: '1 vCPU, 1 GiB', req: { cpu: 1, memory: 1 }, perSecond: 0.000110, details: [['CPU', 0.0001], ['Memory', 0.00001]] },
  { name: '2 vCPU, 4 GiB', req: { cpu: 2, memory: 4 }, perSecond: 0.00024, details: [['CPU', 0.0002], ['Memory', 0.00004]] },
  { name: '0.25 vCPU, 0.5 GiB', req: { cpu: 0.25, memory: 0.5 }, perSecond: 0.00003, details: [['CPU', 0.000025], ['Memory', 0.000005]] },
  { name: 'a priced instance type ignores Cpu and Memory', req: { cpu: 64, memory: 256, instanceType: 'ecs.g6.large' }, perSecond: 0.0002, details: [['InstanceType', 0.0002]] },
  { name: 'an unpriced instance type is priced by its Cpu and Memory', req: { cpu: 2, memory: 4, instanceType: 'ecs.unknown.large' }, perSecond: 0.00024, details: [['CPU', 0.0002], ['Memory', 0.00004]] },
  { name: 'SpotAsPriceGo: Price stays pay-as-you-go, SpotPrices per hour', req: { cpu: 2, memory: 4, spotStrategy: 'SpotAsPriceGo' }, perSecond: 0.00024, details: [['CPU', 0.0002], ['Memory', 0.00004]], spot: { type: '2-4Gi', origin: 0.864, spot: 0.216 } },
  { name: 'SpotWithPriceLimit on an instance type', req: { instanceType: 'ecs.g6.large', spotStrategy: 'SpotWithPriceLimit' }, perSecond: 0.0002, details: [['InstanceType', 0.0002]], spot: { type: 'ecs.g6.large', origin: 0.72, spot: 0.18 } },
];

for (const c of cases) {
  test(`price: ${c.name}`, (t) => {
    const q = quote(TABLE, c.req);
    t.is(q.Price.Currency, 'USD');
    t.is(q.Price.OriginalPrice, c.perSecond);
    t.is(q.Price.TradePrice, c.perSecond);
    t.is(q.Price.DiscountPrice, 0);
    t.deepEqual(q.Price.DetailInfos.DetailInfo.map((d) => [d.Resource, d.TradePrice]), c.details);
    t.deepEqual(q.Rules, { Rule: [] });
    t.deepEqual(q.SpotPrices.SpotPrice.map((s) => ({ type: s.InstanceType, origin: s.OriginPrice, spot: s.SpotPrice })), c.spot ? [c.spot] : []);
  });
}

test('the defaults reproduce the API reference example: 2 vCPU, 4 GiB cost 0.00012252 CNY per second (CPU 0.000098)', (t) => {
  const q = quote(DEFAULT_PRICES, { cpu: 2, memory: 4 });
  t.is(q.Price.Currency, 'CNY');
  t.is(q.Price.TradePrice, 0.00012252);
  t.deepEqual(q.Price.DetailInfos.DetailInfo.map((d) => [d.Resource, d.TradePrice]), [['CPU', 0.000098], ['Memory', 0.00002452]]);
  t.is(quote(DEFAULT_PRICES, { instanceType: 'ecs.c5.large', spotStrategy: 'SpotAsPriceGo' }).SpotPrices.SpotPrice[0].OriginPrice, 0.622);
});

test('the spot entry names the zone asked for', (t) => {
  t.is(quote(TABLE, { cpu: 1, memory: 2, spotStrategy: 'SpotAsPriceGo', zoneId: 'cn-hangzhou-i' }).SpotPrices.SpotPrice[0].ZoneId, 'cn-hangzhou-i');
});

test('an unpriced instance type without Cpu and Memory is InvalidParameter naming InstanceType', (t) => {
  const e = t.throws(() => quote(TABLE, { instanceType: 'ecs.unknown.large' }), { instanceOf: EciError });
  t.is(e?.code, 'InvalidParameter');
  t.regex(e?.message ?? '', /"InstanceType"/);
});

const requestErrors: { name: string; params: Record<string, string>; code: string; names: string }[] = [
  { name: 'no Cpu', params: { Memory: '4' }, code: 'MissingParameter', names: 'Cpu' },
  { name: 'no Memory', params: { Cpu: '2' }, code: 'MissingParameter', names: 'Memory' },
  { name: 'Cpu not a number', params: { Cpu: 'two', Memory: '4' }, code: 'InvalidParameter', names: 'Cpu' },
  { name: 'Cpu below ECI\'s smallest spec', params: { Cpu: '0.1', Memory: '4' }, code: 'InvalidParameter', names: 'Cpu' },
  { name: 'an unknown SpotStrategy', params: { Cpu: '2', Memory: '4', SpotStrategy: 'Cheap' }, code: 'InvalidParameter', names: 'SpotStrategy' },
  { name: 'SpotWithPriceLimit without SpotPriceLimit', params: { Cpu: '2', Memory: '4', SpotStrategy: 'SpotWithPriceLimit' }, code: 'MissingParameter', names: 'SpotPriceLimit' },
  { name: 'a negative SpotPriceLimit', params: { Cpu: '2', Memory: '4', SpotStrategy: 'SpotWithPriceLimit', SpotPriceLimit: '-1' }, code: 'InvalidParameter', names: 'SpotPriceLimit' },
  { name: 'SpotDuration other than 0 or 1', params: { Cpu: '2', Memory: '4', SpotDuration: '2' }, code: 'InvalidParameter', names: 'SpotDuration' },
  { name: 'a fractional EphemeralStorage', params: { Cpu: '2', Memory: '4', EphemeralStorage: '1.5' }, code: 'InvalidParameter', names: 'EphemeralStorage' },
];

for (const c of requestErrors) {
  test(`request: ${c.name} is ${c.code}`, (t) => {
    const e = t.throws(() => parsePriceRequest(c.params), { instanceOf: EciError });
    t.is(e?.code, c.code);
    t.regex(e?.message ?? '', new RegExp(`"${c.names}"`));
  });
}

test('request: InstanceType alone is enough; SpotPriceLimit is read only with SpotWithPriceLimit', (t) => {
  t.deepEqual(parsePriceRequest({ InstanceType: 'ecs.c5.large' }), { cpu: undefined, memory: undefined, instanceType: 'ecs.c5.large', spotStrategy: 'NoSpot', zoneId: undefined });
  t.like(parsePriceRequest({ Cpu: '0.5', Memory: '1', SpotStrategy: 'SpotWithPriceLimit', SpotPriceLimit: '0.05', ZoneId: 'cn-hangzhou-b' }), { cpu: 0.5, memory: 1, spotStrategy: 'SpotWithPriceLimit', zoneId: 'cn-hangzhou-b' });
});

test('table: a partial merges over the base; instance types merge by name and null removes one', (t) => {
  const next = mergePrices(TABLE, { vcpuHour: 1, instanceTypes: { 'ecs.c6.xlarge': 2, 'ecs.g6.large': null } });
  t.deepEqual(next, { ...TABLE, vcpuHour: 1, instanceTypes: { 'ecs.c6.xlarge': 2 } });
  t.deepEqual(TABLE.instanceTypes, { 'ecs.g6.large': 0.72 }, 'the base is not changed');
});

const tableErrors: [string, unknown, string][] = [
  ['not an object', [1], 'prices'],
  ['an unknown field', { cpuHour: 1 }, 'prices.cpuHour'],
  ['a negative price', { vcpuHour: -0.1 }, 'prices.vcpuHour'],
  ['a price that is not a number', { memoryGiBHour: '0.02' }, 'prices.memoryGiBHour'],
  ['a spot discount of 100 %', { spotDiscount: 1 }, 'prices.spotDiscount'],
  ['a currency that is not ISO 4217', { currency: 'yuan' }, 'prices.currency'],
  ['an instance type price that is not a number', { instanceTypes: { 'ecs.c6.large': 'cheap' } }, 'prices.instanceTypes.ecs.c6.large'],
  ['a bad instance type name', { instanceTypes: { 'ECS C6': 1 } }, 'prices.instanceTypes.ECS C6'],
];

for (const [name, partial, field] of tableErrors) {
  test(`table: ${name} is refused naming ${field}`, (t) => {
    const e = t.throws(() => mergePrices(TABLE, partial), { instanceOf: ConfigError });
    t.is(e?.field, field);
  });
}
