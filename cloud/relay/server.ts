// The tunnel relay: a gRPC server over TLS behind a connection guard that authenticates agents (mTLS
// or bearer token), scopes every call to the agent's tenant and granted clusters, enforces limits,
// revokes open streams whose credential goes, and forwards intents, status and sessions to a
// PodProvider. It holds no state needed for correctness: status resumes fall back to snapshots.
import { Duplex, PassThrough } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { logger } from '../../common/log.js';
import { newRegistry } from '../../common/metrics.js';
import type { TunnelHandlers } from '../../proto/load.js';
import { CAPABILITIES, METADATA, PROTOCOL_VERSION, missingCapabilities, protocolProblem } from '../../proto/wire.js';
import { BUILD_VERSION } from '../../common/version.js';
import type { PodProvider, PodState, TenantConfig } from '../pod-provider/provider.js';
import type { ExecInput__Output } from '../../proto/gen/ecigw/tunnel/v1/ExecInput.js';
import type { ExecOutput } from '../../proto/gen/ecigw/tunnel/v1/ExecOutput.js';
import type { PortForwardInput__Output } from '../../proto/gen/ecigw/tunnel/v1/PortForwardInput.js';
import type { PortForwardOutput } from '../../proto/gen/ecigw/tunnel/v1/PortForwardOutput.js';
import type { StatusEvent } from '../../proto/gen/ecigw/tunnel/v1/StatusEvent.js';
import { Authenticator } from './auth.js';
import { CallAuthorizer, claimScope } from './authorize.js';
import { Calls, type CallContext } from './calls.js';
import { relayConfigFromText, type RelayConfig } from './config.js';
import { ConfigFileWatcher } from './config-watch.js';
import { ConnectionGuard } from './connection-guard.js';
import { isMalformed, malformedReason, tolerantDefinition, type Malformed } from './decode.js';
import { RpcError, statusOf } from './errors.js';
import { relayMetrics } from './metrics.js';
import { OpenStreams } from './revocation.js';
import { SESSION_BUFFER_BYTES, SessionGuard } from './session.js';
import { SessionSlots } from './session-slots.js';
import { StatusHub } from './status-hub.js';
import { relayServerCredentials, type RelayTlsFiles } from './tls.js';
import { ValidationError, requireUid, validateIntent } from './validate.js';

export type { RelayTlsFiles } from './tls.js';

export interface StartRelayOptions {
  host?: string;
  port?: number;
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
}

export interface RelayHandle {
  port: number;
  epoch: string;
  registry: Registry;
  /** Graceful shutdown (waits for calls, then forces after 2 s). */
  close(): Promise<void>;
  /** Drops every connection at once (tests: simulate a crashed relay). */
  forceClose(): void;
}

export async function startRelay(opts: StartRelayOptions): Promise<RelayHandle> {
  let config = opts.config;
  const limits = config.limits;
  const log = logger('relay');
  const registry = opts.registry ?? newRegistry();
  const metrics = relayMetrics(registry);
  const reloaded = (file: string, result: string) => metrics.configReloads.inc({ file, result });
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
  const revalidate = () => {
    watcher?.check();
    streams.sweep();
    guard?.prune();
  };
  const revalidateTimer = setInterval(revalidate, limits.revalidateIntervalMs);
  revalidateTimer.unref();

  let guard: ConnectionGuard | undefined;
  const calls = new Calls({
    authorizer: new CallAuthorizer({
      auth,
      config: () => config,
      log,
      denied: metrics.denied,
      observer: {
        authenticated: (peer) => guard?.authenticated(peer),
        failed: (peer) => guard?.failed(peer) ?? true,
        certificate: (peer, read) => (guard ? guard.certificate(peer, read) : read()),
      },
    }),
    slots: new SessionSlots(limits),
    streams,
    limits,
    metrics,
    providerFor,
    requestIdKey: METADATA.requestId,
  });
  const unary = calls.unary.bind(calls);
  const session = calls.session.bind(calls);

  /** The first message of a bidi session, or an error if it is malformed or of the wrong kind. */
  function firstMessage<T extends { msg?: string }>(call: grpc.ServerDuplexStream<T, unknown>, guard: SessionGuard, want: string, onRest: (m: T) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      let started = false;
      guard.abort.signal.addEventListener('abort', () => reject(new Error('session ended before start')), { once: true });
      call.on('data', (m: T) => {
        guard.activity();
        if (isMalformed(m)) return reject(new ValidationError(`malformed message: ${malformedReason(m)}`));
        if (!started) {
          started = true;
          if (m.msg !== want) return reject(new ValidationError(`first message must be "${want}", got "${m.msg ?? '(empty)'}"`));
          guard.markStarted();
          return resolve(m);
        }
        onRest(m);
      });
    });
  }

  const handlers: TunnelHandlers = {
    Handshake: unary('Handshake', async (ctx, req) => {
      const problem = protocolProblem('agent', req.protocolVersion);
      if (problem) throw new RpcError(grpc.status.FAILED_PRECONDITION, `${problem} (relay ${version})`);
      const missing = missingCapabilities(req.requiredCapabilities, capabilities);
      if (missing.length) throw new RpcError(grpc.status.FAILED_PRECONDITION, `relay ${version} lacks required capabilities: ${missing.join(', ')}`);
      if (req.clusterId !== ctx.scope.clusterId) throw new ValidationError(`handshake cluster_id ${JSON.stringify(req.clusterId)} differs from metadata ${METADATA.clusterId}`);
      ctx.log.info({ agentId: req.agentId, agentVersion: req.agentVersion, nodes: req.nodeNames }, 'agent handshake');
      return {
        relayVersion: version,
        protocolVersion: PROTOCOL_VERSION,
        capabilities: [...capabilities],
        tenantId: ctx.scope.tenantId,
        relayEpoch: hub.epoch,
        limits: { maxMessageBytes: limits.maxMessageBytes, maxConcurrentStreams: limits.maxConcurrentStreams, requestsPerSecond: limits.requestsPerSecond, burst: limits.burst },
      };
    }),

    ApplyPod: unary('ApplyPod', async (ctx, req) => {
      const intent = validateIntent(req.intent);
      const r = await ctx.provider.apply(ctx.scope, intent);
      ctx.log.info({ uid: r.uid, generation: r.generation, providerId: r.providerId, changed: r.changed }, 'pod applied');
      return r;
    }),

    DeletePod: unary('DeletePod', async (ctx, req) => {
      const uid = requireUid(req.uid, 'uid');
      if (req.gracePeriodSeconds < 0) throw new ValidationError('grace_period_seconds must be >= 0');
      const r = await ctx.provider.delete(ctx.scope, uid, req.gracePeriodSeconds);
      ctx.log.info({ uid, existed: r.existed }, 'pod deleted');
      return r;
    }),

    GetPod: unary('GetPod', async (ctx, req) => {
      const uid = requireUid(req.uid, 'uid');
      const p = await ctx.provider.get(ctx.scope, uid);
      if (!p) throw new RpcError(grpc.status.NOT_FOUND, `pod ${uid} not found`);
      return p;
    }),

    ListPods: unary('ListPods', async (ctx) => ({ pods: await ctx.provider.list(ctx.scope) })),

    Reconcile: unary('Reconcile', async (ctx, req) => {
      for (const e of req.inventory) requireUid(e.uid, 'inventory[].uid');
      const r = await ctx.provider.reconcile(ctx.scope, req.inventory);
      ctx.log.info({ inventory: req.inventory.length, missing: r.missing.length, stale: r.stale.length, orphans: r.orphans.length }, 'reconciled');
      return r;
    }),

    Stats: unary('Stats', async (ctx, req) => {
      for (const u of req.podUids) requireUid(u, 'pod_uids[]');
      return { pods: await ctx.provider.stats(ctx.scope, req.podUids) };
    }),

    WatchStatus: session('WatchStatus', 'watch', async (ctx, call: grpc.ServerWritableStream<unknown, StatusEvent>, guard) => {
      const req = call.request as { epoch: string; seq: number } | Malformed;
      if (isMalformed(req)) throw new ValidationError(`malformed WatchStatus request: ${malformedReason(req)}`);
      guard.markStarted();
      const seq = hub.forScope(ctx.scope, ctx.provider);
      const signal = guard.abort.signal;
      const epoch = hub.epoch;
      let cursor = req.epoch === epoch ? req.seq : -1;
      ctx.log.info({ resumeEpoch: req.epoch, resumeSeq: req.seq, sameEpoch: req.epoch === epoch }, 'status watch');
      while (!signal.aborted) {
        const batch = cursor < 0 ? undefined : seq.since(cursor, 256);
        if (batch === undefined) {
          const at = seq.seq;
          const pods: PodState[] = await ctx.provider.list(ctx.scope);
          await guard.send({ epoch, seq: at, snapshotBegin: { podCount: pods.length } });
          for (const pod of pods) await guard.send({ epoch, seq: at, pod });
          await guard.send({ epoch, seq: at, snapshotEnd: { podCount: pods.length } });
          cursor = at;
          continue;
        }
        for (const e of batch) {
          await guard.send({ epoch, seq: e.seq, pod: e.state });
          cursor = e.seq;
        }
        if (batch.length === 0) {
          const before = seq.seq;
          await seq.waitForChange(limits.bookmarkIntervalMs, signal);
          if (seq.seq === before && !signal.aborted) await guard.send({ epoch, seq: cursor, bookmark: {} });
        }
      }
    }),

    Exec: session('Exec', 'exec', (ctx, call: grpc.ServerDuplexStream<ExecInput__Output, ExecOutput>, guard) => runExec('exec', ctx, call, guard)),
    Attach: session('Attach', 'attach', (ctx, call: grpc.ServerDuplexStream<ExecInput__Output, ExecOutput>, guard) => runExec('attach', ctx, call, guard)),

    Logs: session('Logs', 'logs', async (ctx, call, guard) => {
      const req = call.request as Parameters<PodProvider['logs']>[1] | Malformed;
      if (isMalformed(req)) throw new ValidationError(`malformed Logs request: ${malformedReason(req)}`);
      requireUid(req.podUid, 'pod_uid');
      guard.markStarted();
      const sink = guard.writable((data) => ({ data }));
      await ctx.provider.logs(ctx.scope, req, sink, guard.abort.signal);
      await endWritable(sink);
      if (!guard.isClosed) call.end();
    }),

    PortForward: session('PortForward', 'portforward', async (ctx, call: grpc.ServerDuplexStream<PortForwardInput__Output, PortForwardOutput>, guard) => {
      const bridge = new Duplex({
        readableHighWaterMark: SESSION_BUFFER_BYTES,
        writableHighWaterMark: SESSION_BUFFER_BYTES,
        read: () => call.resume(),
        write: (chunk: Buffer, _e, cb) => {
          guard.activity();
          call.write({ data: chunk }, () => cb());
        },
        final: (cb) => {
          call.write({ closeWrite: true });
          cb();
        },
      });
      const start = await firstMessage(call, guard, 'start', (m) => {
        if (m.msg === 'data' && m.data) {
          if (!bridge.push(m.data)) call.pause();
        } else if (m.msg === 'closeWrite') bridge.push(null);
      });
      call.on('end', () => bridge.push(null));
      requireUid(start.start!.podUid, 'start.pod_uid');
      if (!start.start!.port || start.start!.port > 65535) throw new ValidationError(`start.port ${start.start!.port} is not a TCP port`);
      await ctx.provider.portForward(ctx.scope, start.start!, bridge, guard.abort.signal);
      if (!guard.isClosed) call.end();
    }),
  };

  async function runExec(kind: 'exec' | 'attach', ctx: CallContext, call: grpc.ServerDuplexStream<ExecInput__Output, ExecOutput>, guard: SessionGuard): Promise<void> {
    const stdinStream = new PassThrough({ highWaterMark: SESSION_BUFFER_BYTES });
    const resize = new PassThrough({ objectMode: true, highWaterMark: 8 });
    const start = await firstMessage(call, guard, 'start', (m) => {
      if (m.msg === 'stdin' && m.stdin) {
        if (!stdinStream.write(m.stdin)) {
          call.pause();
          stdinStream.once('drain', () => call.resume());
        }
      } else if (m.msg === 'resize' && m.resize) {
        // Resizes are idempotent; when the provider is behind, older ones are dropped (bounded).
        if (resize.writableLength < 8) resize.write(m.resize);
      } else if (m.msg === 'closeStdin') stdinStream.end();
    });
    call.on('end', () => {
      stdinStream.end();
      resize.end();
    });
    const req = start.start!;
    requireUid(req.podUid, 'start.pod_uid');
    if (kind === 'exec' && req.command.length === 0) throw new ValidationError('start.command is required for exec');
    const stdout = guard.writable((b) => ({ stdout: b }));
    const stderr = guard.writable((b) => ({ stderr: b }));
    const io = { stdin: req.stdin ? stdinStream : null, stdout, stderr, resize, signal: guard.abort.signal };
    const status = kind === 'exec' ? await ctx.provider.exec(ctx.scope, req, io) : await ctx.provider.attach(ctx.scope, req, io);
    await Promise.all([endWritable(stdout), endWritable(stderr)]);
    if (guard.isClosed) return;
    await guard.send({ exit: status });
    call.end();
    ctx.log.info({ kind, code: status.code }, 'session exited');
  }

  const server = new grpc.Server({
    'grpc.max_receive_message_length': limits.maxMessageBytes,
    'grpc.max_send_message_length': limits.maxMessageBytes,
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': opts.minPingIntervalMs ?? 5_000,
    'grpc.max_connection_idle_ms': 3600_000,
  });
  server.addService(tolerantDefinition(), handlers as unknown as grpc.UntypedServiceImplementation);

  // Listeners on the credentials keep them refreshed; certificates must be loaded before the port opens.
  // (A listener added after load fires at once, so the provider's first load is awaited here.)
  const creds = await relayServerCredentials(opts.tls);
  const injector = server.createConnectionInjector(creds);
  const connections = new ConnectionGuard(limits, (socket) => injector.injectConnection(socket), { rejected: metrics.connectionsRejected, open: metrics.connectionsOpen }, log);
  guard = connections;
  const host = opts.host ?? '127.0.0.1';
  const port = await connections.listen(host, opts.port ?? 0);
  log.info({ host, port, epoch: hub.epoch, version }, 'relay listening');

  const stop = () => {
    clearInterval(revalidateTimer);
    hub.close();
  };
  return {
    port,
    epoch: hub.epoch,
    registry,
    close: async () => {
      stop();
      await connections.close();
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
      injector.destroy();
    },
    forceClose: () => {
      stop();
      void connections.close(true);
      server.forceShutdown();
      injector.destroy();
    },
  };
}

/** Ends a Writable and waits until everything written has been handed on (or the stream died). */
function endWritable(w: NodeJS.WritableStream & { writableFinished?: boolean; destroyed?: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (w.writableFinished || w.destroyed) return resolve();
    w.once('finish', resolve);
    w.once('close', resolve);
    w.once('error', () => resolve());
    w.end();
  });
}
