// The tunnel relay: a gRPC server over TLS that authenticates agents (mTLS or bearer token), scopes
// every call to the agent's tenant, enforces limits, and forwards intents, status and sessions to a
// PodProvider. It holds no state needed for correctness: status resumes fall back to snapshots.
import { randomUUID } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { experimental } from '@grpc/grpc-js';
import { TokenBucket } from 'limiter';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { logger, type Logger } from '../../common/log.js';
import { newRegistry } from '../../common/metrics.js';
import { PROTOCOL_VERSION, tunnelServiceDefinition, type TunnelHandlers } from '../../proto/load.js';
import { ProviderError, type PodProvider, type PodState, type TenantConfig, type TenantScope } from '../provider/provider.js';
import type { ExecInput__Output } from '../../proto/gen/ecigw/tunnel/v1/ExecInput.js';
import type { ExecOutput } from '../../proto/gen/ecigw/tunnel/v1/ExecOutput.js';
import type { PortForwardInput__Output } from '../../proto/gen/ecigw/tunnel/v1/PortForwardInput.js';
import type { PortForwardOutput } from '../../proto/gen/ecigw/tunnel/v1/PortForwardOutput.js';
import type { StatusEvent } from '../../proto/gen/ecigw/tunnel/v1/StatusEvent.js';
import { AuthError, Authenticator, type AgentIdentity } from './auth.js';
import type { RelayConfig } from './config.js';
import { SESSION_BUFFER_BYTES, SessionGuard } from './session.js';
import { StatusHub } from './status-hub.js';
import { ValidationError, requireUid, validateIntent } from './validate.js';

export const RELAY_VERSION = '0.1.0';
export const RELAY_CAPABILITIES = ['pods.v1', 'status.resume', 'exec', 'attach', 'logs', 'portforward', 'stats', 'reconcile'];

/** Metadata keys shared with the agent client. */
export const MD = {
  requestId: 'x-request-id',
  clusterId: 'x-ecigw-cluster-id',
  agentId: 'x-ecigw-agent-id',
  protocol: 'x-ecigw-protocol',
  authorization: 'authorization',
} as const;

export interface RelayTlsFiles {
  certFile: string;
  keyFile: string;
  /** CA that issues agent client certificates. */
  clientCaFile: string;
  /** How often the certificate files are re-read (ms). */
  refreshIntervalMs?: number;
}

export interface StartRelayOptions {
  host?: string;
  port?: number;
  tls: RelayTlsFiles;
  config: RelayConfig;
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

interface CallContext {
  reqId: string;
  identity: AgentIdentity;
  scope: TenantScope;
  provider: PodProvider;
  log: Logger;
}

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

const MALFORMED = Symbol('malformed');
type Malformed = { [MALFORMED]: string };
const isMalformed = (m: unknown): m is Malformed => typeof m === 'object' && m !== null && MALFORMED in m;

/** The service definition with deserializers that never throw: undecodable input becomes INVALID_ARGUMENT. */
function tolerantDefinition(): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(tunnelServiceDefinition)) {
    const decode = method.requestDeserialize;
    out[name] = {
      ...method,
      requestDeserialize: (buf: Buffer) => {
        try {
          return decode(buf);
        } catch (e) {
          return { [MALFORMED]: (e as Error).message } satisfies Malformed;
        }
      },
    } as grpc.MethodDefinition<unknown, unknown>;
  }
  return out as grpc.ServiceDefinition;
}

function statusOf(err: unknown): { code: grpc.status; details: string } {
  if (err instanceof RpcError) return { code: err.code, details: err.message };
  if (err instanceof AuthError) return { code: grpc.status.UNAUTHENTICATED, details: err.message };
  if (err instanceof ValidationError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  if (err instanceof ProviderError) return { code: grpc.status[err.code], details: err.message };
  return { code: grpc.status.INTERNAL, details: `relay internal error: ${(err as Error)?.message ?? String(err)}` };
}

function serviceError(err: unknown, reqId?: string): Partial<grpc.ServiceError> {
  const s = statusOf(err);
  const metadata = new grpc.Metadata();
  if (reqId) metadata.set(MD.requestId, reqId);
  return { code: s.code, details: s.details, message: s.details, metadata };
}

const first = (md: grpc.Metadata, key: string): string | undefined => {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
};

export async function startRelay(opts: StartRelayOptions): Promise<RelayHandle> {
  const { config } = opts;
  const limits = config.limits;
  const log = logger('relay');
  const registry = opts.registry ?? newRegistry();
  const auth = new Authenticator(config, opts.tls.clientCaFile);
  const hub = new StatusHub(limits.statusHistory);
  const buckets = new Map<string, TokenBucket>();
  const openSessions = new Map<string, number>();
  const providers = new Map<string, PodProvider>();
  const version = opts.version ?? RELAY_VERSION;
  const capabilities = opts.capabilities ?? RELAY_CAPABILITIES;

  const requests = new Counter({ name: 'ecigw_relay_requests_total', help: 'Tunnel RPCs by method and status code', labelNames: ['method', 'code'], registers: [registry] });
  const denied = new Counter({ name: 'ecigw_relay_denied_total', help: 'Rejected calls by reason', labelNames: ['reason'], registers: [registry] });
  const sessionsActive = new Gauge({ name: 'ecigw_relay_sessions_active', help: 'Open sessions by kind', labelNames: ['kind'], registers: [registry] });
  const unaryLatency = new Histogram({
    name: 'ecigw_relay_rpc_duration_seconds',
    help: 'Unary tunnel RPC latency at the relay, by method and status code',
    labelNames: ['method', 'code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const sessionAborts = new Counter({ name: 'ecigw_relay_session_aborts_total', help: 'Sessions ended by a timeout or overflow', labelNames: ['kind', 'reason'], registers: [registry] });

  const providerFor = (tenant: TenantConfig): PodProvider => {
    if (typeof opts.provider !== 'function') return opts.provider;
    let p = providers.get(tenant.id);
    if (!p) providers.set(tenant.id, (p = opts.provider(tenant)));
    return p;
  };

  /** Authenticates, checks protocol and cluster, applies the rate limit; throws RpcError/AuthError. */
  function authorize(call: { metadata: grpc.Metadata; getAuthContext(): { sslPeerCertificate?: import('node:tls').PeerCertificate } | null }, method: string, reqId: string): CallContext {
    const md = call.metadata;
    let identity: AgentIdentity;
    try {
      identity = auth.authenticate(call.getAuthContext()?.sslPeerCertificate, first(md, MD.authorization));
    } catch (e) {
      denied.inc({ reason: 'unauthenticated' });
      log.warn({ reqId, method, err: (e as Error).message }, 'unauthenticated call');
      throw e;
    }
    const tenant = config.tenants[identity.tenantId];
    const clog = log.child({ reqId, agent: identity.id, tenant: tenant.id, method });
    const protocol = first(md, MD.protocol);
    if (method !== 'Handshake' && protocol !== String(PROTOCOL_VERSION)) {
      throw new RpcError(grpc.status.FAILED_PRECONDITION, `agent protocol ${protocol ?? '(none)'} is not supported; relay speaks protocol ${PROTOCOL_VERSION} (metadata ${MD.protocol})`);
    }
    const clusterId = first(md, MD.clusterId) ?? '';
    if (!tenant.clusterIds.includes(clusterId)) {
      denied.inc({ reason: 'cluster' });
      clog.warn({ clusterId }, 'cluster not allowed for tenant');
      throw new RpcError(grpc.status.PERMISSION_DENIED, `cluster ${JSON.stringify(clusterId)} is not allowed for tenant ${tenant.id}`);
    }
    let bucket = buckets.get(identity.id);
    if (!bucket) {
      bucket = new TokenBucket({ bucketSize: limits.burst, tokensPerInterval: limits.requestsPerSecond, interval: 'second' });
      bucket.content = limits.burst; // a new agent starts with a full burst
      buckets.set(identity.id, bucket);
    }
    if (!bucket.tryRemoveTokens(1)) {
      denied.inc({ reason: 'rate_limited' });
      throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `rate limit of ${limits.requestsPerSecond} requests/s (burst ${limits.burst}) exceeded for agent ${identity.id}`);
    }
    const scope: TenantScope = { tenantId: tenant.id, clusterId, tenant };
    return { reqId, identity, scope, provider: providerFor(tenant), log: clog };
  }

  function record(method: string, err: unknown, ctx?: CallContext): void {
    const code = err ? statusOf(err).code : grpc.status.OK;
    requests.inc({ method, code: grpc.status[code] });
    if (code === grpc.status.PERMISSION_DENIED) {
      denied.inc({ reason: 'permission_denied' });
      ctx?.log.warn({ err: (err as Error).message }, 'permission denied');
    } else if (err && ctx) ctx.log.info({ code: grpc.status[code], err: (err as Error).message }, 'call failed');
    else ctx?.log.debug('call ok');
  }

  function unary<Req, Res>(method: string, fn: (ctx: CallContext, req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const reqId = first(call.metadata, MD.requestId) || randomUUID();
      const started = process.hrtime.bigint();
      let ctx: CallContext | undefined;
      const done = (err: unknown, res?: Res) => {
        record(method, err, ctx);
        unaryLatency.observe({ method, code: grpc.status[err ? statusOf(err).code : grpc.status.OK] }, Number(process.hrtime.bigint() - started) / 1e9);
        const trailer = new grpc.Metadata();
        trailer.set(MD.requestId, reqId);
        if (err) callback(serviceError(err, reqId));
        else callback(null, res, trailer);
      };
      try {
        ctx = authorize(call, method, reqId);
        if (isMalformed(call.request)) throw new ValidationError(`malformed ${method} request: ${call.request[MALFORMED]}`);
      } catch (e) {
        return done(e);
      }
      fn(ctx, call.request).then((res) => done(null, res), (e) => done(e));
    };
  }

  /** Opens a session slot for the agent (bounded), runs fn, and always releases it. */
  function session<C extends grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>>(
    method: string,
    kind: string,
    fn: (ctx: CallContext, call: C, guard: SessionGuard) => Promise<void>,
  ): (call: C) => void {
    return (call) => {
      const reqId = first(call.metadata, MD.requestId) || randomUUID();
      let ctx: CallContext;
      try {
        ctx = authorize(call, method, reqId);
      } catch (e) {
        record(method, e);
        call.emit('error', serviceError(e, reqId));
        return;
      }
      const n = openSessions.get(ctx.identity.id) ?? 0;
      if (n >= limits.maxSessionsPerAgent) {
        const e = new RpcError(grpc.status.RESOURCE_EXHAUSTED, `agent ${ctx.identity.id} already has ${n} open sessions (limit maxSessionsPerAgent=${limits.maxSessionsPerAgent})`);
        record(method, e, ctx);
        call.emit('error', serviceError(e, reqId));
        return;
      }
      openSessions.set(ctx.identity.id, n + 1);
      sessionsActive.inc({ kind });
      const md = new grpc.Metadata();
      md.set(MD.requestId, reqId);
      call.sendMetadata(md);
      const guard = new SessionGuard(call, kind, limits, ctx.log, (reason) => sessionAborts.inc({ kind, reason }));
      ctx.log.info({ kind }, 'session opened');
      fn(ctx, call, guard)
        .then(
          () => record(method, null, ctx),
          (e) => {
            record(method, e, ctx);
            if (!guard.isClosed) {
              const s = serviceError(e, reqId);
              guard.fail(s.code!, s.details!);
            }
          },
        )
        .finally(() => {
          guard.close('done');
          sessionsActive.dec({ kind });
          openSessions.set(ctx.identity.id, (openSessions.get(ctx.identity.id) ?? 1) - 1);
          ctx.log.info({ kind }, 'session closed');
        });
    };
  }

  /** The first message of a bidi session, or an error if it is malformed or of the wrong kind. */
  function firstMessage<T extends { msg?: string }>(call: grpc.ServerDuplexStream<T, unknown>, guard: SessionGuard, want: string, onRest: (m: T) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      let started = false;
      guard.abort.signal.addEventListener('abort', () => reject(new Error('session ended before start')), { once: true });
      call.on('data', (m: T) => {
        guard.activity();
        if (isMalformed(m)) return reject(new ValidationError(`malformed message: ${(m as Malformed)[MALFORMED]}`));
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
      if (req.protocolVersion !== PROTOCOL_VERSION) {
        throw new RpcError(grpc.status.FAILED_PRECONDITION, `agent protocol version ${req.protocolVersion} is not supported; relay ${version} speaks protocol ${PROTOCOL_VERSION}`);
      }
      const missing = req.requiredCapabilities.filter((c) => !capabilities.includes(c));
      if (missing.length) throw new RpcError(grpc.status.FAILED_PRECONDITION, `relay ${version} lacks required capabilities: ${missing.join(', ')}`);
      if (req.clusterId !== ctx.scope.clusterId) throw new ValidationError(`handshake cluster_id ${JSON.stringify(req.clusterId)} differs from metadata ${MD.clusterId}`);
      ctx.log.info({ agentId: req.agentId, agentVersion: req.agentVersion, nodes: req.nodeNames }, 'agent handshake');
      return {
        relayVersion: version,
        protocolVersion: PROTOCOL_VERSION,
        capabilities,
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
      if (isMalformed(req)) throw new ValidationError(`malformed WatchStatus request: ${req[MALFORMED]}`);
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
      if (isMalformed(req)) throw new ValidationError(`malformed Logs request: ${req[MALFORMED]}`);
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

  const certProvider = new experimental.FileWatcherCertificateProvider({
    certificateFile: opts.tls.certFile,
    privateKeyFile: opts.tls.keyFile,
    caCertificateFile: opts.tls.clientCaFile,
    refreshIntervalMs: opts.tls.refreshIntervalMs ?? 5_000,
  });
  // Client certificates are requested but not required at the TLS layer (token agents have none);
  // the Authenticator verifies them against the (re-read) client CA for every call.
  const creds = experimental.createCertificateProviderServerCredentials(certProvider, certProvider, false);
  const host = opts.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${opts.port ?? 0}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  await certificatesLoaded(certProvider, 10_000);
  log.info({ host, port, epoch: hub.epoch, version }, 'relay listening');

  return {
    port,
    epoch: hub.epoch,
    registry,
    close: () =>
      new Promise<void>((resolve) => {
        hub.close();
        const force = setTimeout(() => server.forceShutdown(), 2_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
    forceClose: () => {
      hub.close();
      server.forceShutdown();
    },
  };
}

/** Waits until the file-watching provider has loaded both the identity and the CA (it loads asynchronously). */
function certificatesLoaded(provider: experimental.FileWatcherCertificateProvider, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let identity = false;
    let ca = false;
    const timer = setTimeout(() => (cleanup(), reject(new Error(`relay TLS: certificate/key/CA files not loaded within ${ms} ms`))), ms);
    const cleanup = () => {
      clearTimeout(timer);
      provider.removeIdentityCertificateListener(onIdentity);
      provider.removeCaCertificateListener(onCa);
    };
    const check = () => identity && ca && (cleanup(), resolve());
    const onIdentity = (u: unknown) => ((identity = !!u), check());
    const onCa = (u: unknown) => ((ca = !!u), check());
    provider.addIdentityCertificateListener(onIdentity);
    provider.addCaCertificateListener(onCa);
  });
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
