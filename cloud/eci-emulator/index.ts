// Library entry of the ECI emulator: startEmulator() wires config, state machine, runtime, HTTP server and
// admin API together and returns a handle with the endpoint for the SDK and close() that stops everything.
import type { AddressInfo } from 'node:net';
import { logger } from '../../common/log.js';
import { Admin, type EmulatorStats, type GroupSummary } from './admin.js';
import { defaultConfig, mergeConfig, type ActionFault, type EmulatorConfig, type StockOutConfig } from './config.js';
import { Controller } from './controller.js';
import { ExecEndpoint } from './exec-ws.js';
import { ExecTokens } from './exec-tokens.js';
import { RateLimiter } from './limits.js';
import { MetricsHistory } from './metrics.js';
import { ProcessRuntime } from './runtime/process.js';
import { SimulatedRuntime } from './runtime/simulated.js';
import type { Runtime } from './runtime/types.js';
import { createEmulatorServer } from './server.js';
import { NonceCache } from './signature.js';

export type { EmulatorConfig, ActionFault, StockOutConfig, EmulatorStats, GroupSummary };
export { ConfigError, defaultConfig, mergeConfig, ACTIONS } from './config.js';

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
}

export interface EmulatorAdminApi {
  setFaults(faults: Record<string, ActionFault>): void;
  setRateLimits(limits: Record<string, number> | boolean): void;
  setCreateLatency(latency: number | { schedulingMs?: number; pendingMs?: number }): void;
  setStockOut(stock: string[] | Partial<StockOutConfig>): void;
  setMaxGroups(n: number): void;
  configure(partial: unknown): EmulatorConfig;
  resetStats(): void;
  stats(): EmulatorStats;
  listGroups(): GroupSummary[];
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
  runtime: 'process' | 'simulated';
  admin: EmulatorAdminApi;
  close(): Promise<void>;
}

export const DEFAULT_ACCESS_KEY: AccessKey = { id: 'LTAIemulatorAccessKey', secret: 'emulator-secret-please-change' };

export async function startEmulator(opts: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const host = opts.host ?? '127.0.0.1';
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
  const limiter = new RateLimiter();
  const admin = new Admin(holder, controller, limiter, runtimeKind);
  const execTokens = new ExecTokens(() => holder.config.execTokenTtlMs);
  const metrics = new MetricsHistory();
  let publicHost = host;
  const exec = new ExecEndpoint(execTokens, controller, runtime);
  const server = createEmulatorServer({
    config: getConfig,
    ctx: { controller, runtime, config: getConfig, execTokens, metrics, publicHost: () => publicHost },
    admin,
    limiter,
    nonces: new NonceCache(holder.config.signature.maxSkewSeconds * 2000),
    exec,
    secretFor: (id) => secrets.get(id),
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
      pids: (id) => (runtime instanceof ProcessRuntime ? runtime.pids(id) : []),
    },
    close,
  };
}
