// The relay's price book: what a running container group costs per hour, from ECI's DescribeContainerGroupPrice
// through one tenant's EciCaller (its rate limit, retries, metrics). Answers are cached per distinct spec for a
// TTL (1 h by default), concurrent asks for one spec share one call, and a failed lookup rejects with a
// PriceLookupError and is not cached. priceSpecOf derives the spec from a listed group or a create request.
// Units (ECI's API reference example): `Price` is per second, `SpotPrices` per hour; this module answers per hour.
import type { EciCaller } from './api.js';
import type { EciGroup } from './mapping/index.js';
import { errorCodeOf } from './retry.js';
import { $Eci } from './sdk.js';

/** What a container group is priced by. `spotPriceLimit` counts only with `SpotWithPriceLimit`. */
export interface PriceSpec {
  regionId: string;
  cpu: number;
  memoryGiB: number;
  instanceType?: string;
  spotStrategy?: string;
  spotPriceLimit?: number;
}

/** A price ECI could not give: its error code (e.g. `InvalidParameter`, `Throttling.User`) or `NoPrice` for an answer without one. */
export class PriceLookupError extends Error {
  constructor(
    readonly code: string,
    readonly spec: PriceSpec,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PriceLookupError';
  }
}

const HOUR_MS = 3_600_000;
const SECONDS_PER_HOUR = 3600;
/** Most specs remembered; past it, expired answers go first, then the oldest. */
const MAX_ENTRIES = 1024;

const isSpot = (s: PriceSpec): boolean => s.spotStrategy !== undefined && s.spotStrategy !== 'NoSpot';
const withLimit = (s: PriceSpec): boolean => s.spotStrategy === 'SpotWithPriceLimit';
const describe = (s: PriceSpec): string => `${s.instanceType ?? `${s.cpu} vCPU/${s.memoryGiB} GiB`}${isSpot(s) ? ` ${s.spotStrategy}` : ''} in ${s.regionId}`;

/** One cache key per spec ECI would price differently (NoSpot and no strategy are the same). */
const keyOf = (s: PriceSpec): string =>
  JSON.stringify([s.regionId, s.cpu, s.memoryGiB, s.instanceType ?? '', isSpot(s) ? s.spotStrategy : 'NoSpot', withLimit(s) ? (s.spotPriceLimit ?? null) : null]);

/**
 * The hourly price in an answer: for a spot spec, the lowest `SpotPrices` entry (per hour; ECI lists one per zone);
 * otherwise, or when ECI lists none, `Price.TradePrice` (per second; pay-as-you-go is what a spot price never exceeds).
 */
function hourlyPrice(body: $Eci.DescribeContainerGroupPriceResponseBody | undefined, spec: PriceSpec): number | undefined {
  const info = body?.priceInfo;
  if (isSpot(spec)) {
    const spot = (info?.spotPrices?.spotPrice ?? []).map((e) => e.spotPrice).filter((p): p is number => typeof p === 'number' && Number.isFinite(p) && p >= 0);
    if (spot.length > 0) return Math.min(...spot);
  }
  const trade = info?.price?.tradePrice;
  return typeof trade === 'number' && Number.isFinite(trade) && trade >= 0 ? trade * SECONDS_PER_HOUR : undefined;
}

export class PriceBook {
  private readonly cache = new Map<string, { price: number; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<number>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  /** `caller`: the tenant's ECI caller (index.ts `callerFor`). */
  constructor(
    private readonly caller: EciCaller,
    opts: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.ttlMs = opts.ttlMs ?? HOUR_MS;
    this.now = opts.now ?? Date.now;
    if (!(this.ttlMs >= 0)) throw new Error(`PriceBook: ttlMs must be ≥ 0, got ${this.ttlMs}`);
  }

  /** Currency units per hour (ECI's `Price.Currency`) for one group of `spec`. */
  pricePerHour(spec: PriceSpec): Promise<number> {
    const key = keyOf(spec);
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > this.now()) return Promise.resolve(hit.price);
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const lookup = this.lookup(spec)
      .then((price) => {
        this.remember(key, price);
        return price;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, lookup);
    return lookup;
  }

  private async lookup(spec: PriceSpec): Promise<number> {
    const request = new $Eci.DescribeContainerGroupPriceRequest({
      regionId: spec.regionId,
      cpu: spec.cpu,
      memory: spec.memoryGiB,
      instanceType: spec.instanceType,
      spotStrategy: isSpot(spec) ? spec.spotStrategy : undefined,
      spotPriceLimit: withLimit(spec) ? spec.spotPriceLimit : undefined,
    });
    let res: $Eci.DescribeContainerGroupPriceResponse;
    try {
      res = await this.caller.call('DescribeContainerGroupPrice', (client, runtime) => client.describeContainerGroupPriceWithOptions(request, runtime));
    } catch (err) {
      const code = errorCodeOf(err);
      throw new PriceLookupError(code, spec, `ECI has no price for ${describe(spec)}: ${code}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const price = hourlyPrice(res.body, spec);
    if (price === undefined) throw new PriceLookupError('NoPrice', spec, `ECI answered DescribeContainerGroupPrice for ${describe(spec)} without a price`);
    return price;
  }

  private remember(key: string, price: number): void {
    const now = this.now();
    if (this.cache.size >= MAX_ENTRIES) for (const [k, e] of this.cache) if (e.expiresAt <= now) this.cache.delete(k);
    while (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.delete(key);
    this.cache.set(key, { price, expiresAt: now + this.ttlMs });
  }
}

/** The fields a container group is priced by: a DescribeContainerGroups group and a create request both carry them. */
type PricedFields = Pick<EciGroup, 'regionId' | 'cpu' | 'memory' | 'instanceType' | 'spotStrategy' | 'spotPriceLimit'>;

/**
 * The spec ECI prices a group by (its Cpu, Memory, InstanceType, SpotStrategy, SpotPriceLimit and RegionId), from
 * a listed group or the create request for one, or undefined when it lacks its region or size.
 */
export function priceSpecOf(group: PricedFields): PriceSpec | undefined {
  const { regionId, cpu, memory, instanceType, spotStrategy, spotPriceLimit } = group;
  if (!regionId || !(typeof cpu === 'number' && cpu > 0) || !(typeof memory === 'number' && memory > 0)) return undefined;
  const spec: PriceSpec = { regionId, cpu, memoryGiB: memory };
  if (instanceType) spec.instanceType = instanceType;
  if (spotStrategy && spotStrategy !== 'NoSpot') spec.spotStrategy = spotStrategy;
  if (spotStrategy === 'SpotWithPriceLimit' && typeof spotPriceLimit === 'number') spec.spotPriceLimit = spotPriceLimit;
  return spec;
}
