// DescribeContainerGroupPrice in the emulator: the price table (per vCPU-hour, per GiB-hour, hourly prices of
// instance types, the spot discount, the currency), its defaults and validation, the table each emulator keeps
// (Prices, set live through the admin API), the request's parameters and the pure computation of ECI's PriceInfo.
// As ECI's own example shows, `Price` is per second and `SpotPrices` per hour (see the emulator README).
// Settings live here (admin API), not in config.ts.
import { ConfigError, isPlain } from './config.js';
import { invalidParameter, missingParameter } from './errors.js';
import { SPOT_STRATEGIES, type SpotStrategy } from './model.js';
import { num, str, type Params } from './validate.js';

export interface PriceTable {
  /** ISO 4217 code answered as `Price.Currency`. */
  currency: string;
  /** Pay-as-you-go price of one vCPU for an hour. */
  vcpuHour: number;
  /** Pay-as-you-go price of one GiB of memory for an hour. */
  memoryGiBHour: number;
  /** Hourly pay-as-you-go prices of ECS instance types, e.g. { "ecs.c5.large": 0.622 }. */
  instanceTypes: Record<string, number>;
  /** Fraction taken off the pay-as-you-go price for a spot instance (0 ≤ d < 1). */
  spotDiscount: number;
}

/**
 * ECI's published pay-as-you-go prices (China site, "ECI实例计费"): vCPU 0.000049 CNY/s (0.1764/h), memory
 * 0.00000613 CNY/GiB/s (0.022068/h), the figures that make the API reference's example (2 vCPU, 4 GiB:
 * TradePrice 0.00012252). ecs.c5.large: the same example's OriginPrice (0.622/h, cn-hangzhou). The spot
 * discount is the emulator's choice, inside the 30-90 % saving ECI advertises for preemptible instances.
 */
export const DEFAULT_PRICES: PriceTable = {
  currency: 'CNY',
  vcpuHour: 0.1764,
  memoryGiBHour: 0.022068,
  instanceTypes: { 'ecs.c5.large': 0.622 },
  spotDiscount: 0.8,
};

const FIELDS = ['currency', 'vcpuHour', 'memoryGiBHour', 'instanceTypes', 'spotDiscount'];

function price(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(field, 'must be a price: a number ≥ 0');
  return v;
}

/**
 * `partial` over `base`, validated (ConfigError names the field, e.g. `prices.instanceTypes.ecs.g6.large`).
 * `instanceTypes` entries merge by name; `null` removes one.
 */
export function mergePrices(base: PriceTable, partial: unknown): PriceTable {
  if (!isPlain(partial)) throw new ConfigError('prices', `must be an object with any of ${FIELDS.join(', ')}`);
  for (const k of Object.keys(partial)) if (!FIELDS.includes(k)) throw new ConfigError(`prices.${k}`, `unknown field (known: ${FIELDS.join(', ')})`);
  const out: PriceTable = { ...base, instanceTypes: { ...base.instanceTypes } };
  if (partial.currency !== undefined) {
    if (typeof partial.currency !== 'string' || !/^[A-Z]{3}$/.test(partial.currency)) throw new ConfigError('prices.currency', 'must be an ISO 4217 code such as "CNY" or "USD"');
    out.currency = partial.currency;
  }
  if (partial.vcpuHour !== undefined) out.vcpuHour = price('prices.vcpuHour', partial.vcpuHour);
  if (partial.memoryGiBHour !== undefined) out.memoryGiBHour = price('prices.memoryGiBHour', partial.memoryGiBHour);
  if (partial.spotDiscount !== undefined) {
    const d = partial.spotDiscount;
    if (typeof d !== 'number' || !(d >= 0 && d < 1)) throw new ConfigError('prices.spotDiscount', 'must be a fraction in [0, 1)');
    out.spotDiscount = d;
  }
  if (partial.instanceTypes !== undefined) {
    if (!isPlain(partial.instanceTypes)) throw new ConfigError('prices.instanceTypes', 'must be an object of instance type -> hourly price');
    for (const [type, v] of Object.entries(partial.instanceTypes)) {
      if (!/^[a-z0-9][a-z0-9.-]*$/.test(type)) throw new ConfigError(`prices.instanceTypes.${type}`, 'not an instance type name such as "ecs.c6.xlarge"');
      if (v === null) delete out.instanceTypes[type];
      else out.instanceTypes[type] = price(`prices.instanceTypes.${type}`, v);
    }
  }
  return out;
}

/** One emulator's live price table: its actions read it, its admin API changes it. */
export class Prices {
  table: PriceTable = DEFAULT_PRICES;

  /** `partial` over the current table (validated as mergePrices); the new table. */
  set(partial: unknown): PriceTable {
    this.table = mergePrices(this.table, partial);
    return this.table;
  }
}

export interface PriceRequest {
  cpu?: number;
  memory?: number;
  instanceType?: string;
  spotStrategy: SpotStrategy;
  zoneId?: string;
}

/**
 * The request's parameters, with ECI's error codes. Cpu and Memory are required unless InstanceType is given (the
 * newer API reference marks them optional; with InstanceType they are ignored). SpotPriceLimit is required by
 * SpotWithPriceLimit, as on create. SpotDuration and EphemeralStorage are checked and do not change the price.
 */
export function parsePriceRequest(p: Params): PriceRequest {
  const instanceType = str(p, 'InstanceType', { max: 64, pattern: /^[a-z0-9][a-z0-9.-]*$/ });
  const cpu = num(p, 'Cpu', { min: 0.25, max: 256 });
  const memory = num(p, 'Memory', { min: 0.5, max: 2048 });
  if (instanceType === undefined) {
    if (cpu === undefined) throw missingParameter('Cpu');
    if (memory === undefined) throw missingParameter('Memory');
  }
  const spotStrategy = (str(p, 'SpotStrategy', { oneOf: SPOT_STRATEGIES }) ?? 'NoSpot') as SpotStrategy;
  const limit = num(p, 'SpotPriceLimit', { min: 0, max: 1_000_000 });
  if (spotStrategy === 'SpotWithPriceLimit' && limit === undefined) throw missingParameter('SpotPriceLimit');
  num(p, 'SpotDuration', { min: 0, max: 1, integer: true });
  num(p, 'EphemeralStorage', { min: 1, max: 2048, integer: true });
  return { cpu, memory, instanceType, spotStrategy, zoneId: str(p, 'ZoneId', { max: 64 }) };
}

/** Rounds away binary noise (2 × 0.000049 + 4 × 0.00000613 is 0.00012252, not 0.00012252000000000001). */
const round = (x: number): number => Number(x.toPrecision(12));
const noRules = (): { Rule: never[] } => ({ Rule: [] });

function detail(resource: string, perHour: number): Record<string, unknown> {
  const perSecond = round(perHour / 3600);
  return { Resource: resource, OriginalPrice: perSecond, DiscountPrice: 0, TradePrice: perSecond, Rules: noRules() };
}

/**
 * `PriceInfo` for a request under a table. An instance type in the table is priced at its hourly price; one that
 * is not is priced by the Cpu and Memory sent with it, or refused (InvalidParameter) without them.
 */
export function priceInfo(table: PriceTable, r: PriceRequest): Record<string, unknown> {
  const known = r.instanceType !== undefined && Object.hasOwn(table.instanceTypes, r.instanceType);
  if (r.instanceType !== undefined && !known && (r.cpu === undefined || r.memory === undefined))
    throw invalidParameter('InstanceType', `no price is known for "${r.instanceType}"; send Cpu and Memory with it, or set its price (POST /__admin/prices)`);
  const details = known
    ? [detail('InstanceType', table.instanceTypes[r.instanceType!])]
    : [detail('CPU', r.cpu! * table.vcpuHour), detail('Memory', r.memory! * table.memoryGiBHour)];
  const hourly = known ? table.instanceTypes[r.instanceType!] : r.cpu! * table.vcpuHour + r.memory! * table.memoryGiBHour;
  const perSecond = round(hourly / 3600);
  const spot =
    r.spotStrategy === 'NoSpot'
      ? []
      : [{ ZoneId: r.zoneId, InstanceType: r.instanceType ?? `${r.cpu}-${r.memory}Gi`, OriginPrice: round(hourly), SpotPrice: round(hourly * (1 - table.spotDiscount)) }];
  return {
    Price: { Currency: table.currency, OriginalPrice: perSecond, DiscountPrice: 0, TradePrice: perSecond, DetailInfos: { DetailInfo: details } },
    Rules: noRules(),
    SpotPrices: { SpotPrice: spot },
  };
}
