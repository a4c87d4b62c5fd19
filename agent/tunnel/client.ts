// The tunnel client the rest of the agent uses: the connection to the relay (connection.ts) plus the calls
// on it: unary RPCs with per-call deadlines (pod intents, reads, reconcile, stats), the resumable status
// watch (watch.ts) and the interactive sessions (sessions.ts). It is the PodTunnel adapter of the pod
// controller: its errors are TunnelErrors, whose kind (errors.ts) is all the pod logic looks at.
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { logger } from '../../common/log.js';
import type { TunnelClient as GrpcTunnelClient } from '../../proto/load.js';
import type { PodIntent } from '../../proto/gen/ecigw/tunnel/v1/PodIntent.js';
import type { PodAck__Output } from '../../proto/gen/ecigw/tunnel/v1/PodAck.js';
import type { DeletePodResponse__Output } from '../../proto/gen/ecigw/tunnel/v1/DeletePodResponse.js';
import type { PodState__Output } from '../../proto/gen/ecigw/tunnel/v1/PodState.js';
import type { ReconcileResponse__Output } from '../../proto/gen/ecigw/tunnel/v1/ReconcileResponse.js';
import type { InventoryEntry } from '../../proto/gen/ecigw/tunnel/v1/InventoryEntry.js';
import type { ExecStart } from '../../proto/gen/ecigw/tunnel/v1/ExecStart.js';
import type { LogsRequest } from '../../proto/gen/ecigw/tunnel/v1/LogsRequest.js';
import type { PortForwardStart } from '../../proto/gen/ecigw/tunnel/v1/PortForwardStart.js';
import type { PodStats__Output } from '../../proto/gen/ecigw/tunnel/v1/PodStats.js';
import type { Cap__Output } from '../../proto/gen/ecigw/tunnel/v1/Cap.js';
import type { PodTunnel } from '../pods/tunnel-port.js';
import { TunnelConnection } from './connection.js';
import { toTunnelError } from './errors.js';
import { resolveTunnelOptions, type CallOptions, type TunnelClientOptions } from './options.js';
import { unarySpan } from './trace.js';
import { TunnelSessions, type ExecSession, type LogsSession, type PortForwardSession } from './sessions.js';
import type { Cursor } from './status-tracker.js';
import { StatusWatch, type StatusHandler } from './watch.js';
import { EgressStream } from './egress.js';

export { TunnelError } from './errors.js';
export type { TunnelState } from './connection.js';
export type { TunnelClientOptions } from './options.js';
export type { ExecSession, LogsSession } from './sessions.js';

/** What a relay whose handshake states no maxMessageBytes accepts: gRPC's default receive limit. */
const GRPC_DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export class TunnelClient extends TunnelConnection implements PodTunnel {
  private readonly watch: StatusWatch;
  private readonly sessions: TunnelSessions;
  /** Networking mode `tunnel`, outbound: exports out, dial requests in. */
  readonly egress: EgressStream;

  constructor(opts: TunnelClientOptions) {
    const o = resolveTunnelOptions(opts);
    const log = logger('tunnel-client', { agentId: opts.agentId, clusterId: opts.clusterId });
    super(o, log);
    this.watch = new StatusWatch(this, o.watchIdleTimeoutMs, log);
    this.sessions = new TunnelSessions(this, o, log);
    this.egress = new EgressStream(this, log);
  }

  /** Interactive sessions open now (bounded by maxInteractiveSessions and the relay's streams). */
  get interactiveSessions(): number {
    return this.sessions.count;
  }

  /** Status-watch resume point. */
  get cursor(): Cursor {
    return this.watch.cursor;
  }

  protected override onConnected(client: GrpcTunnelClient): void {
    this.watch.connected(client);
    this.egress.connected(client);
  }

  protected override onLost(): void {
    this.watch.cancel();
    this.egress.cancel();
  }

  // ---- unary ----

  /** One unary call inside its client span (trace.ts), whose context the call's metadata carries. */
  private unary<Req, Res>(method: Extract<keyof GrpcTunnelClient, string>, req: Req, o: CallOptions = {}): Promise<Res> {
    return unarySpan(method, () => this.unaryCall<Req, Res>(method, req, o));
  }

  private async unaryCall<Req, Res>(method: keyof GrpcTunnelClient, req: Req, o: CallOptions): Promise<Res> {
    const reqId = o.requestId ?? randomUUID();
    const deadline = Date.now() + (o.deadlineMs ?? this.o.rpcTimeoutMs);
    const client = await this.ready(deadline, reqId);
    const fn = (client[method] as unknown as (r: Req, md: grpc.Metadata, co: grpc.CallOptions, cb: grpc.requestCallback<Res>) => void).bind(client);
    return await new Promise<Res>((resolve, reject) =>
      fn(req, this.metadata(reqId), { deadline }, (err, res) => {
        if (err) {
          this.log.debug({ reqId, method, code: err.code, err: err.details }, 'rpc failed');
          reject(toTunnelError(err, reqId));
        } else {
          this.log.debug({ reqId, method }, 'rpc ok');
          resolve(res as Res);
        }
      }),
    );
  }

  /**
   * The largest encoded ApplyPod request the relay takes: its handshake's limits.maxMessageBytes. Waits
   * for a connection as a call would (the limit is the relay's, and may differ after a reconnect).
   */
  async maxIntentBytes(o: CallOptions = {}): Promise<number> {
    await this.ready(Date.now() + (o.deadlineMs ?? this.o.rpcTimeoutMs), o.requestId);
    return this.relay?.limits?.maxMessageBytes || GRPC_DEFAULT_MAX_MESSAGE_BYTES;
  }

  apply(intent: PodIntent, o?: CallOptions): Promise<PodAck__Output> {
    return this.unary('ApplyPod', { intent }, o);
  }

  delete(uid: string, gracePeriodSeconds: number, o?: CallOptions): Promise<DeletePodResponse__Output> {
    return this.unary('DeletePod', { uid, gracePeriodSeconds }, o);
  }

  get(uid: string, o?: CallOptions): Promise<PodState__Output> {
    return this.unary('GetPod', { uid }, o);
  }

  async list(o?: CallOptions): Promise<PodState__Output[]> {
    return (await this.unary<object, { pods: PodState__Output[] }>('ListPods', {}, o)).pods;
  }

  reconcile(inventory: InventoryEntry[], o?: CallOptions): Promise<ReconcileResponse__Output> {
    return this.unary('Reconcile', { inventory }, o);
  }

  async stats(podUids: string[] = [], o?: CallOptions): Promise<PodStats__Output[]> {
    return (await this.unary<object, { pods: PodStats__Output[] }>('Stats', { podUids }, o)).pods;
  }

  /** The caps on the cluster's pods in the cloud and what is used of them (none: nothing capped). */
  async capacity(o?: CallOptions): Promise<Cap__Output[]> {
    return (await this.unary<object, { caps: Cap__Output[] }>('Capacity', {}, o)).caps;
  }

  // ---- status watch and sessions ----

  /** Registers a handler for pod states; the watch resumes by itself after every reconnect. */
  watchStatus(handler: StatusHandler): () => void {
    return this.watch.add(handler);
  }

  /** Opens an exec (command) or attach session. */
  exec(start: ExecStart, o: { requestId?: string; attach?: boolean } = {}): Promise<ExecSession> {
    return this.sessions.exec(start, o);
  }

  attach(start: ExecStart, o: { requestId?: string } = {}): Promise<ExecSession> {
    return this.sessions.exec(start, { ...o, attach: true });
  }

  logs(req: LogsRequest, o: { requestId?: string } = {}): Promise<LogsSession> {
    return this.sessions.logs(req, o);
  }

  portForward(start: PortForwardStart, o: { requestId?: string; service?: boolean; egressOpen?: { connId: string; error: string }; splice?: boolean } = {}): Promise<PortForwardSession> {
    return this.sessions.portForward(start, o);
  }
}
