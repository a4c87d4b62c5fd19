// The two shapes of relay RPC: a unary call (authorize, control-bucket token, run, record) and a
// session (authorize, admission by kind: the watch apart from interactive sessions, then a guarded
// stream registered for revocation until it ends). Handlers get a CallContext and never see auth. An
// authorized call runs inside its server span (trace.ts), which joins the agent's trace.
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../common/log.js';
import type { PodProvider, TenantConfig, TenantScope } from '../pod-provider/provider.js';
import type { AgentIdentity } from './auth.js';
import type { CallAuthorizer } from './authorize.js';
import { statusOf, serviceError } from './errors.js';
import { isMalformed, malformedReason } from './decode.js';
import type { RelayLimits } from './limits.js';
import type { RelayMetrics } from './metrics.js';
import type { OpenStreams } from './revocation.js';
import { SessionGuard } from './session.js';
import { serverSpan, type ServerSpan } from './trace.js';
import { runIn } from '../../common/tracing.js';
import type { SessionKind, SessionSlots } from './session-slots.js';
import { ValidationError } from './validate.js';
import type { TLSSocket } from 'node:tls';
import type { DataConnections } from './data-connections.js';
import { METADATA } from '../../proto/wire.js';

export interface CallContext {
  reqId: string;
  identity: AgentIdentity;
  scope: TenantScope;
  provider: PodProvider;
  log: Logger;
  /** A session's data connection (proto/data-connection.ts), when the agent asked for one and the relay has them; undefined once it did not come. */
  data?: Promise<TLSSocket | undefined>;
  /** The session's input comes on its data connection, not on the call (both sides said so). */
  dataInput?: boolean;
}

interface CallDeps {
  authorizer: CallAuthorizer;
  slots: SessionSlots;
  streams: OpenStreams;
  limits: RelayLimits;
  metrics: RelayMetrics;
  providerFor(tenant: TenantConfig): PodProvider;
  /** Metadata key of the request id (echoed in headers and trailers). */
  requestIdKey: string;
  /** The data-connection listener, when one is configured. */
  dataConnections?: DataConnections;
}

type SessionCall = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

const first = (md: grpc.Metadata, key: string): string | undefined => {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
};

export class Calls {
  constructor(private readonly d: CallDeps) {}

  private record(method: string, err: unknown, ctx?: CallContext): void {
    const code = err ? statusOf(err).code : grpc.status.OK;
    this.d.metrics.requests.inc({ method, code: grpc.status[code] });
    if (code === grpc.status.PERMISSION_DENIED) {
      this.d.metrics.denied.inc({ reason: 'permission_denied' });
      ctx?.log.warn({ err: (err as Error).message }, 'permission denied');
    } else if (err && ctx) ctx.log.info({ code: grpc.status[code], err: (err as Error).message }, 'call failed');
    else ctx?.log.debug('call ok');
  }

  private trailer(reqId: string): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(this.d.requestIdKey, reqId);
    return md;
  }

  private context(call: Parameters<CallAuthorizer['authorize']>[0], method: string, reqId: string) {
    const a = this.d.authorizer.authorize(call, method, reqId);
    const ctx: CallContext = { reqId, identity: a.identity, scope: a.scope, provider: this.d.providerFor(a.scope.tenant), log: a.log };
    return { ctx, agent: a.agent, credential: a.credential };
  }

  unary<Req, Res>(method: string, fn: (ctx: CallContext, req: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const reqId = first(call.metadata, this.d.requestIdKey) || randomUUID();
      const started = process.hrtime.bigint();
      let ctx: CallContext | undefined;
      let traced: ServerSpan | undefined;
      const done = (err: unknown, res?: Res) => {
        traced?.end(err);
        this.record(method, err, ctx);
        this.d.metrics.unaryLatency.observe({ method, code: grpc.status[err ? statusOf(err).code : grpc.status.OK] }, Number(process.hrtime.bigint() - started) / 1e9);
        if (err) callback(serviceError(err, this.trailer(reqId)));
        else callback(null, res, this.trailer(reqId));
      };
      let result: Promise<Res>;
      try {
        const c = this.context(call, method, reqId);
        ctx = c.ctx;
        traced = serverSpan(method, call.metadata, ctx.scope);
        this.d.slots.takeRequest(c.agent, c.ctx.identity.id);
        if (isMalformed(call.request)) throw new ValidationError(`malformed ${method} request: ${malformedReason(call.request)}`);
        // A handler may answer at once (or refuse by throwing) instead of returning a promise.
        const authorized = ctx;
        result = Promise.resolve(runIn(traced.context, () => fn(authorized, call.request)));
      } catch (e) {
        return done(e);
      }
      result.then((res) => done(null, res), (e) => done(e));
    };
  }

  /**
   * A session: admitted by kind (the watch against its own cap and the control bucket; exec/attach,
   * logs and port-forward against their caps and the sessions bucket), guarded by SessionGuard, and
   * registered with the open streams so a revoked credential ends it. Always releases its slot.
   */
  session<C extends SessionCall>(method: string, kind: SessionKind, fn: (ctx: CallContext, call: C, guard: SessionGuard) => Promise<void>): (call: C) => void {
    return (call) => {
      const reqId = first(call.metadata, this.d.requestIdKey) || randomUUID();
      let ctx: CallContext | undefined;
      // A watch is told it is superseded when a newer watch of its agent opens, which is always after its
      // guard (created below, once admitted) exists; the callback reaches the guard through this holder.
      const admitted: { guard?: SessionGuard } = {};
      let release: () => void;
      let registered: { agent: string; credential: ReturnType<Calls['context']>['credential'] };
      try {
        const c = this.context(call, method, reqId);
        ctx = c.ctx;
        registered = { agent: c.agent, credential: c.credential };
        if (kind === 'watch' || kind === 'egress') {
          this.d.slots.takeRequest(c.agent, ctx.identity.id);
          release = this.d.slots.openWatch(c.agent, (why) => {
            this.d.metrics.sessionAborts.inc({ kind, reason: 'superseded' });
            admitted.guard?.fail(grpc.status.RESOURCE_EXHAUSTED, why);
          }, kind);
        } else release = this.d.slots.openSession(c.agent, kind, ctx.identity.id);
      } catch (e) {
        this.record(method, e, ctx);
        call.emit('error', serviceError(e, this.trailer(reqId)));
        return;
      }
      const sctx = ctx;
      this.d.metrics.sessionsActive.inc({ kind });
      const headers = this.trailer(reqId);
      const g = new SessionGuard(call, kind, this.d.limits, sctx.log, (reason) => this.d.metrics.sessionAborts.inc({ kind, reason }));
      // Output on a data connection: offered to exec, attach and port-forward sessions of agents that ask.
      const dc = this.d.dataConnections;
      if (dc && kind !== 'watch' && kind !== 'egress' && kind !== 'logs' && first(call.metadata, METADATA.dataConnection) === '1') {
        const input = first(call.metadata, METADATA.dataInput) === '1' && kind !== 'attach';
        const expected = dc.expect(g.abort.signal, input);
        sctx.dataInput = input;
        headers.set(METADATA.dataToken, expected.token);
        headers.set(METADATA.dataPort, String(dc.port));
        sctx.data = expected.socket;
        void expected.socket.then((s) => {
          if (g.abort.signal.aborted) s?.destroy();
          else g.abort.signal.addEventListener('abort', () => s?.destroy(), { once: true });
        });
      }
      call.sendMetadata(headers);
      admitted.guard = g;
      const unregister = this.d.streams.add({
        kind,
        identityKey: sctx.identity.key,
        clusterId: sctx.scope.clusterId,
        credential: registered.credential,
        log: sctx.log,
        end: (code, details) => g.fail(code, details),
      });
      // Service connections come and go with every client connection: debug, not info.
      const level = kind === 'service' ? 'debug' : 'info';
      sctx.log[level]({ kind }, 'session opened');
      // The status watch is the agent's background stream, not work anyone traces: no span.
      const traced = kind === 'watch' || kind === 'egress' ? undefined : serverSpan(method, call.metadata, sctx.scope);
      (traced ? runIn(traced.context, () => fn(sctx, call, g)) : fn(sctx, call, g))
        .then(
          () => (traced?.end(null), this.record(method, null, sctx)),
          (e) => {
            traced?.end(e);
            this.record(method, e, sctx);
            if (!g.isClosed) {
              const s = statusOf(e);
              g.fail(s.code, s.details);
            }
          },
        )
        .finally(() => {
          g.close('done');
          unregister();
          release();
          this.d.metrics.sessionsActive.dec({ kind });
          sctx.log[level]({ kind }, 'session closed');
        });
    };
  }
}
