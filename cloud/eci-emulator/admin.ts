// The emulator's control surface for tests and operators: live config changes (faults, rate limits, create
// latency, stock-out, max groups), spot reclaims (spot-reclaim.ts), the price table (pricing.ts), image-cache
// settings (image-cache.ts), call counters per action and a group listing. Used by the library handle and by the
// HTTP endpoints under /__admin/.
import { mergeConfig, type ActionFault, type EmulatorConfig, type StockOutConfig } from './config.js';
import type { Controller } from './controller.js';
import type { ImageCacheSettings } from './image-cache.js';
import type { ImageCacheStore } from './image-cache-store.js';
import type { RateLimiter } from './limits.js';
import type { PriceTable, Prices } from './pricing.js';
import type { ReclaimedGroup, ReclaimRequest, SpotReclaimer, SpotReclaimSettings } from './spot-reclaim.js';

export interface EmulatorStats {
  callsByAction: Record<string, number>;
  errorsByCode: Record<string, number>;
  requests: number;
  groups: number;
  groupsByStatus: Record<string, number>;
  /** Groups whose metric samples are kept (for DescribeContainerGroupMetric); dropped with the group. */
  metricHistories: number;
  runtime: 'process' | 'simulated';
}

export interface GroupSummary {
  id: string;
  name: string;
  regionId: string;
  status: string;
  intranetIp: string;
  spotStrategy: string;
  containers: { name: string; state: string; ready: boolean; restartCount: number }[];
  /** How long the group's image pulls held container start, and the image cache it matched (image-cache-store.ts). */
  imagePullMs?: number;
  imageCacheId?: string;
}

export class Admin {
  readonly callsByAction: Record<string, number> = {};
  readonly errorsByCode: Record<string, number> = {};
  requests = 0;

  constructor(
    private readonly holder: { config: EmulatorConfig },
    private readonly controller: Controller,
    private readonly limiter: RateLimiter,
    private readonly runtimeKind: 'process' | 'simulated',
    private readonly metrics: { readonly size: number },
    private readonly spot: SpotReclaimer,
    private readonly imageCaches: ImageCacheStore,
    private readonly priceTable: Prices,
  ) {}

  get config(): EmulatorConfig {
    return this.holder.config;
  }

  /** Applies a partial config (validated; throws ConfigError naming the field). */
  configure(partial: unknown): EmulatorConfig {
    this.holder.config = mergeConfig(this.holder.config, partial);
    return this.holder.config;
  }

  /** Replaces the fault table: action -> fault ({} clears all). */
  setFaults(faults: Record<string, ActionFault>): void {
    this.holder.config = mergeConfig({ ...this.holder.config, faults: {} }, { faults });
  }

  /** Sets per-action limits (requests/s; 0 = unlimited); `false` disables throttling, `true` re-enables it. */
  setRateLimits(limits: Record<string, number> | boolean): void {
    if (typeof limits === 'boolean') this.configure({ rateLimitsEnabled: limits });
    else this.configure({ rateLimits: limits, rateLimitsEnabled: true });
    this.limiter.reset();
  }

  setCreateLatency(latency: number | { schedulingMs?: number; pendingMs?: number }): void {
    this.configure({ createLatency: typeof latency === 'number' ? { schedulingMs: latency } : latency });
  }

  /** Specs ("2-4Gi", "ecs.c6.xlarge" or "*") that fail to create; code defaults to RecommendEmpty.InstanceTypeNoStock. */
  setStockOut(stock: string[] | Partial<StockOutConfig>): void {
    const s = Array.isArray(stock) ? { specs: stock } : stock;
    this.configure({ stockOut: { code: 'RecommendEmpty.InstanceTypeNoStock', httpStatus: 400, ...s } });
  }

  setMaxGroups(n: number): void {
    this.configure({ maxGroups: n });
  }

  /** Reclaims spot groups now (named, or `count` at random): SpotToBeReleased, then Expired after the notice. */
  reclaimSpot(req: ReclaimRequest): ReclaimedGroup[] {
    return this.spot.reclaim(req);
  }

  /** Random spot reclaims per minute, notice period, protection (validated; throws ConfigError naming the field). */
  setSpotReclaim(partial: unknown): SpotReclaimSettings {
    return this.spot.configure(partial);
  }

  spotReclaim(): ReturnType<SpotReclaimer['status']> {
    return this.spot.status();
  }

  /** DescribeContainerGroupPrice's table (pricing.ts): `partial` over the current one (validated; throws ConfigError naming the field). */
  setPrices(partial: unknown): PriceTable {
    return this.priceTable.set(partial);
  }

  prices(): PriceTable {
    return this.priceTable.table;
  }

  /** Pull times, cache preparation time, pull model on/off (validated; throws ConfigError naming the field). */
  setImageCache(partial: unknown): ImageCacheSettings {
    return this.imageCaches.configure(partial);
  }

  imageCache(): { settings: ImageCacheSettings; caches: number } {
    return { settings: this.imageCaches.settings, caches: this.imageCaches.size };
  }

  resetStats(): void {
    for (const k of Object.keys(this.callsByAction)) delete this.callsByAction[k];
    for (const k of Object.keys(this.errorsByCode)) delete this.errorsByCode[k];
    this.requests = 0;
  }

  stats(): EmulatorStats {
    const groupsByStatus: Record<string, number> = {};
    for (const g of this.controller.all()) groupsByStatus[g.status] = (groupsByStatus[g.status] ?? 0) + 1;
    return {
      callsByAction: { ...this.callsByAction },
      errorsByCode: { ...this.errorsByCode },
      requests: this.requests,
      groups: this.controller.size,
      groupsByStatus,
      metricHistories: this.metrics.size,
      runtime: this.runtimeKind,
    };
  }

  listGroups(): GroupSummary[] {
    return this.controller.all().map((g) => ({
      id: g.id,
      name: g.spec.name,
      regionId: g.spec.regionId,
      status: g.status,
      intranetIp: g.intranetIp,
      spotStrategy: g.spec.spotStrategy,
      containers: g.containers.map((c) => ({ name: c.name, state: c.current.state, ready: c.ready, restartCount: c.restartCount })),
      imagePullMs: g.imagePull?.ms,
      imageCacheId: g.imagePull?.imageCacheId,
    }));
  }
}
