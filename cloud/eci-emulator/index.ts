// Library entry of the ECI emulator: startEmulator() wires config, state machine, runtime, HTTP server and
// admin API together and returns a handle with the endpoint for the SDK and close() that stops everything.
import { randomBytes } from 'node:crypto';
import { isIP, type AddressInfo } from 'node:net';
import { systemClock } from '../../common/clock.js';
import { logger } from '../../common/log.js';
import { Admin, type EmulatorStats, type GroupSummary } from './admin.js';
import { defaultConfig, mergeConfig, stsKeyFor, type ActionFault, type EmulatorConfig, type StockOutConfig } from './config.js';
import { Controller } from './controller.js';
import { ExecEndpoint } from './exec-ws.js';
import { ExecTokens } from './exec-tokens.js';
import type { ImageCacheSettings } from './image-cache.js';
import { ImageCacheStore } from './image-cache-store.js';
import { RateLimiter } from './limits.js';
import { MetricsHistory } from './metrics.js';
import { ProcessRuntime } from './runtime/process.js';
import { SimulatedRuntime } from './runtime/simulated.js';
import type { Runtime } from './runtime/types.js';
import { createEmulatorServer } from './server.js';
import { SpotReclaimer, type ReclaimedGroup, type ReclaimRequest, type SpotReclaimSettings } from './spot-reclaim.js';
import { Prices, type PriceTable } from './pricing.js';
import { NonceCache } from './signature.js';

export { ConfigError, defaultConfig } from './config.js';

export interface AccessKey {
  id: string;
  secret: string;
}

export interface EmulatorOptions {
  host?: string;
  port?: number;
  runtime?: 'process' | 'simulated';
  accessKeys?: AccessKey[];
  regions?: string[];
  config?: Partial<EmulatorConfig> | Record<string, unknown>;
  /** Bearer token for /__admin/ (default: a random one, see the handle's `adminToken`). */
  adminToken?: string;
  /**
   * Binding to anything but a loopback address exposes an API that runs pod commands as host processes;
   * it needs this set and access keys of your own (the built-in default pair is refused).
   */
  allowNonLoopback?: boolean;
}

interface EmulatorAdminApi {
  setFaults(faults: Record<string, ActionFault>): void;
  setRateLimits(limits: Record<string, number> | boolean): void;
  setCreateLatency(latency: number | { schedulingMs?: number; pendingMs?: number }): void;
  setStockOut(stock: string[] | Partial<StockOutConfig>): void;
  setMaxGroups(n: number): void;
  configure(partial: unknown): EmulatorConfig;
  resetStats(): void;
  stats(): EmulatorStats;
  listGroups(): GroupSummary[];
  /** Reclaims spot groups: named ones, or `count` at random; each gets SpotToBeReleased, then Expired after the notice. */
  reclaimSpot(req: ReclaimRequest): ReclaimedGroup[];
  /** Random spot reclaims (`ratePerMinute`), the notice period and whether the protection period holds. */
  setSpotReclaim(partial: Partial<SpotReclaimSettings>): SpotReclaimSettings;
  /** Image pull times by image, with and without a matched Ready cache, cache preparation time, and whether pulls hold container start. */
  setImageCache(partial: Partial<ImageCacheSettings>): ImageCacheSettings;
  /** DescribeContainerGroupPrice's price table (per vCPU-hour, per GiB-hour, per instance type, spot discount), merged over the current one. */
  setPrices(partial: Partial<PriceTable>): PriceTable;
  /** Live process-group ids of a group's containers (process runtime; empty for simulated). */
  pids(groupId: string): number[];
}

export interface EmulatorHandle {
  /** `host:port`, exactly what the SDK's Config.endpoint wants. */
  endpoint: string;
  url: string;
  regionId: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** The token /__admin/ calls must send as `Authorization: Bearer <token>`. */
  adminToken: string;
  runtime: 'process' | 'simulated';
  admin: EmulatorAdminApi;
  close(): Promise<void>;
}

export const DEFAULT_ACCESS_KEY: AccessKey = { id: 'LTAIemulatorAccessKey', secret: 'emulator-secret-please-change' };

/** Thrown when the emulator would be exposed unsafely; names the option that decides it. */
export class ExposureError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'ExposureError';
  }
}

/** 127.0.0.0/8, ::1 and localhost (the only addresses the emulator binds without `allowNonLoopback`). */
function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    if (!opts.allowNonLoopback) {
      throw new ExposureError('allowNonLoopback', `refusing to bind ${host}: the emulator runs pod commands as host processes; bind a loopback address, or pass --allow-non-loopback (allowNonLoopback) knowingly`);
    }
    if (!opts.accessKeys?.length || opts.accessKeys.some((k) => k.id === DEFAULT_ACCESS_KEY.id || k.secret === DEFAULT_ACCESS_KEY.secret)) {
      throw new ExposureError('accessKeys', `refusing to bind ${host} with the built-in default access key pair; set --access-key-id and --access-key-secret to a pair of your own`);
    }
  }
  const adminToken = opts.adminToken ?? randomBytes(24).toString('base64url');
  let config = mergeConfig(defaultConfig(), opts.config ?? {});
  if (opts.regions) config = mergeConfig(config, { regions: opts.regions });
  const holder = { config };
  const getConfig = (): EmulatorConfig => holder.config;
  const keys = opts.accessKeys?.length ? opts.accessKeys : [DEFAULT_ACCESS_KEY];
  const secrets = new Map(keys.map((k) => [k.id, k.secret]));
  const runtimeKind = opts.runtime ?? 'process';
  const log = logger('eci-emulator');

  const controller = new Controller(getConfig);
  const runtime: Runtime = runtimeKind === 'process' ? new ProcessRuntime(controller, getConfig) : new SimulatedRuntime(controller);
  controller.runtime = runtime;
  const metrics = new MetricsHistory();
  controller.onRemoved((id) => metrics.forget(id));
  const limiter = new RateLimiter();
  const spot = new SpotReclaimer(controller, systemClock);
  controller.onRemoved((id) => spot.forget(id));
  const imageCaches = new ImageCacheStore(systemClock);
  controller.imagePull = (g) => imageCaches.onGroupCreated(g, (id, type, reason, message) => controller.event(id, type, reason, message));
  const prices = new Prices();
  const admin = new Admin(holder, controller, limiter, runtimeKind, metrics, spot, imageCaches, prices);
  const execTokens = new ExecTokens(() => holder.config.execTokenTtlMs);
  let publicHost = host;
  const exec = new ExecEndpoint(execTokens, controller, runtime);
  const server = createEmulatorServer({
    config: getConfig,
    ctx: { controller, runtime, config: getConfig, execTokens, metrics, imageCaches, prices, publicHost: () => publicHost },
    admin,
    adminToken,
    limiter,
    nonces: new NonceCache(holder.config.signature.maxSkewSeconds * 2000),
    exec,
    secretFor: (id) => secrets.get(id) ?? stsKeyFor(holder.config, id),
    log,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  publicHost = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ endpoint: publicHost, runtime: runtimeKind }, 'eci emulator listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      exec.close();
      spot.close();
      await controller.close();
      await runtime.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    })());

  return {
    endpoint: publicHost,
    url: `http://${publicHost}`,
    regionId: holder.config.regions[0],
    accessKeyId: keys[0].id,
    accessKeySecret: keys[0].secret,
    adminToken,
    runtime: runtimeKind,
    admin: {
      setFaults: (f) => admin.setFaults(f),
      setRateLimits: (l) => admin.setRateLimits(l),
      setCreateLatency: (l) => admin.setCreateLatency(l),
      setStockOut: (s) => admin.setStockOut(s),
      setMaxGroups: (n) => admin.setMaxGroups(n),
      configure: (p) => admin.configure(p),
      resetStats: () => admin.resetStats(),
      stats: () => admin.stats(),
      listGroups: () => admin.listGroups(),
      reclaimSpot: (r) => admin.reclaimSpot(r),
      setSpotReclaim: (p) => admin.setSpotReclaim(p),
      setImageCache: (p) => admin.setImageCache(p),
      setPrices: (p) => admin.setPrices(p),
      pids: (id) => (runtime instanceof ProcessRuntime ? runtime.pids(id) : []),
    },
    close,
  };
}
