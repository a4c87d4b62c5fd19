// The relay's bootstrap (startRelay): the config and its reloads, authentication, revalidation of open streams
// (revocation), the gRPC server with the tunnel handlers (handlers.ts) over TLS behind the pre-auth connection
// guard, and shutdown. The relay holds no state needed for correctness: status resumes fall back to snapshots.
import * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { logger } from '../../common/log.js';
import { newRegistry } from '../../common/metrics.js';
import { CAPABILITIES, METADATA } from '../../proto/wire.js';
import { BUILD_VERSION } from '../../common/version.js';
import type { PodProvider, TenantConfig } from '../pod-provider/provider.js';
import { Authenticator } from './auth.js';
import { CallAuthorizer, claimScope } from './authorize.js';
import { Calls } from './calls.js';
import { relayConfigFromText, type RelayConfig } from './config.js';
import { ConfigFileWatcher } from './config-watch.js';
import { ConnectionGuard } from './connection-guard.js';
import { DataConnections } from './data-connections.js';
import { tunnelHandlers } from './handlers.js';
import { tolerantDefinition } from './decode.js';
import { statusOf } from './errors.js';
import { relayMetrics } from './metrics.js';
import { OpenStreams } from './revocation.js';
import { SessionSlots } from './session-slots.js';
import type { MonotonicNow } from './bucket.js';
import { StatusHub } from './status-hub.js';
import { relayReadiness } from './readiness.js';
import type { Readiness } from '../../common/readiness.js';
import { relayServerCredentials, type RelayTlsFiles } from './tls.js';
import { http2StreamLimit } from './limits.js';
import { egressSetup } from './egress/setup.js';
import { startEgressServer } from './egress/server.js';

interface StartRelayOptions {
  host?: string;
  port?: number;
  /**
   * Networking mode `tunnel`, outbound: the egress listener burst pods' sidecars call (egress/server.ts) on
   * this port of `host`, with the key that signs pod credentials and the CA bundle sidecars verify the relay
   * with. Absent: off (agents' Egress streams are refused, and no pod gets a sidecar).
   */
  egress?: { port: number; tokenKeyFile: string; caFile: string; checkSourceAddress?: boolean; dialTimeoutMs?: number };
  /** Session data connections (data-connections.ts) on this port of `host`; absent: off. */
  data?: { port: number; waitMs?: number; helloTimeoutMs?: number; maxPending?: number; maxPendingPerSource?: number };
  tls: RelayTlsFiles;
  config: RelayConfig;
  /** The file `config` came from: re-read on change (identities, tenants, token file path; limits need a restart). */
  configFile?: string;
  provider: PodProvider | ((tenant: TenantConfig) => PodProvider);
  registry?: Registry;
  version?: string;
  capabilities?: string[];
  /** Minimum interval between agent keepalive pings the relay tolerates (ms). */
  minPingIntervalMs?: number;
  /** Clock of the rate-limit buckets, per agent and per source (tests drive it; default performance.now()). */
  now?: MonotonicNow;
}

export interface RelayHandle {
  port: number;
  /** The egress listener's port, when it is on. */
  egressPort?: number;
  /** The data-connection port, when they are on. */
  dataPort?: number;
  epoch: string;
  registry: Registry;
  /** Graceful shutdown (waits for calls, then forces after 2 s). */
  close(): Promise<void>;
  /** Drops every connection at once (tests: simulate a crashed relay). */
  forceClose(): void;
  /** What /readyz reports (readiness.ts). */
  readiness(): Promise<Readiness>;
}

export async function startRelay(opts: StartRelayOptions): Promise<RelayHandle> {
  let config = opts.config;
  const limits = config.limits;
  const log = logger('relay');
  const registry = opts.registry ?? newRegistry();
  const metrics = relayMetrics(registry);
  const lastReloads: Record<string, string> = {};
  const reloaded = (file: string, result: string) => {
    lastReloads[file] = result;
    metrics.configReloads.inc({ file, result });
  };
  let draining = false;
  const auth = new Authenticator(() => config, opts.tls.clientCaFile, log, reloaded);
  const hub = new StatusHub(limits.statusHistory);
  const providers = new Map<string, PodProvider>();
  const version = opts.version ?? BUILD_VERSION;
  const capabilities: readonly string[] = opts.capabilities ?? CAPABILITIES;

  const providerFor = (tenant: TenantConfig): PodProvider => {
    if (typeof opts.provider !== 'function') return opts.provider;
    let p = providers.get(tenant.id);
    if (!p) providers.set(tenant.id, (p = opts.provider(tenant)));
    return p;
  };

  // Open streams are re-checked with the credential they were opened with (revocation, expiry, grants).
  const streams = new OpenStreams((s) => {
    try {
      const identity = auth.authenticate(s.credential);
      if (identity.key !== s.identityKey) return { code: grpc.status.UNAUTHENTICATED, details: `the credential now authenticates as ${identity.id}` };
      claimScope(identity, s.clusterId, config.tenants);
      return undefined;
    } catch (e) {
      return statusOf(e);
    }
  }, metrics.revoked);
  const watcher = opts.configFile
    ? new ConfigFileWatcher(opts.configFile, relayConfigFromText, (next) => {
        if (JSON.stringify(next.limits) !== JSON.stringify(config.limits)) log.warn({ file: opts.configFile }, 'relay config: changed limits take effect at the next restart');
        config = { ...next, limits: config.limits };
      }, log, (result) => reloaded('config', result))
    : undefined;
  // Pre-authentication limits; admitted sockets go to the gRPC server's injector (created below, before listen).
  const connections = new ConnectionGuard(limits, (socket) => injector.injectConnection(socket), { rejected: metrics.connectionsRejected, open: metrics.connectionsOpen }, log, opts.now);
  const host = opts.host ?? '127.0.0.1';
  const data = opts.data
    ? new DataConnections(
        { host, port: opts.data.port, certFile: opts.tls.certFile, keyFile: opts.tls.keyFile, waitMs: opts.data.waitMs ?? 5_000, helloTimeoutMs: opts.data.helloTimeoutMs ?? 5_000, maxPending: opts.data.maxPending ?? 256, maxPendingPerSource: opts.data.maxPendingPerSource ?? 32 },
        log,
        metrics.dataConnections,
      )
    : undefined;
  const revalidate = () => {
    data?.refreshCertificate();
    watcher?.check();
    streams.sweep();
    connections.prune();
  };
  const revalidateTimer = setInterval(revalidate, limits.revalidateIntervalMs);
  revalidateTimer.unref();

  const calls = new Calls({
    authorizer: new CallAuthorizer({
      auth,
      config: () => config,
      log,
      denied: metrics.denied,
      observer: connections,
    }),
    slots: new SessionSlots(limits, opts.now),
    streams,
    limits,
    metrics,
    providerFor,
    requestIdKey: METADATA.requestId,
    dataConnections: data,
  });
  const egress = opts.egress ? egressSetup(opts.egress, limits) : undefined;
  const handlers = tunnelHandlers({ calls, hub, limits, version, capabilities, egress: egress?.registry, egressPod: egress?.pod });

  const server = new grpc.Server({
    'grpc.max_receive_message_length': limits.maxMessageBytes,
    'grpc.max_send_message_length': limits.maxMessageBytes,
    'grpc.max_concurrent_streams': http2StreamLimit(limits),
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': opts.minPingIntervalMs ?? 5_000,
    'grpc.max_connection_idle_ms': 3600_000,
  });
  server.addService(tolerantDefinition(), handlers);

  // Listeners on the credentials keep them refreshed; certificates must be loaded before the port opens.
  // (A listener added after load fires at once, so the provider's first load is awaited here.)
  const creds = await relayServerCredentials(opts.tls);
  const injector = server.createConnectionInjector(creds);
  await data?.start();
  const egressServer = egress
    ? await startEgressServer({ host, port: egress.port, tls: opts.tls, tokens: egress.tokens, registry: egress.registry, tenants: () => config.tenants, providerFor, checkSourceAddress: egress.checkSourceAddress, log: log.child({ component: 'egress' }), denied: metrics.egressDenied, dataConnections: data })
    : undefined;
  const port = await connections.listen(host, opts.port ?? 0);
  log.info({ host, port, epoch: hub.epoch, version }, 'relay listening');

  const stop = () => {
    draining = true;
    clearInterval(revalidateTimer);
    hub.close();
  };
  return {
    port,
    dataPort: data?.port,
    egressPort: egressServer?.port,
    epoch: hub.epoch,
    registry,
    close: async () => {
      stop();
      // Stop accepting at once, but do not wait here for open connections to end: an agent's connection
      // stays open until gRPC shuts down (below), so waiting first never returned while an agent was connected.
      void connections.close();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          void connections.close(true);
        }, 2_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await connections.close(true); // what is left: connections that never reached gRPC
      injector.destroy();
      await data?.close();
      await egressServer?.close();
    },
    readiness: async () => {
      const watches = (await metrics.sessionsActive.get()).values.find((v) => v.labels.kind === 'watch')?.value ?? 0;
      return relayReadiness({ draining, tenants: Object.keys(config.tenants).length, lastReloads: { ...lastReloads }, watches, minAgents: config.readiness.minAgents });
    },
    forceClose: () => {
      stop();
      void data?.close();
      void egressServer?.close();
      void connections.close(true);
      server.forceShutdown();
      injector.destroy();
    },
  };
}
