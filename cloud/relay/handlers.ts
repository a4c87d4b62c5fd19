// The tunnel RPC handlers: handshake (protocol version, capabilities, the relay's limits), the pod intents and
// reads, the resumable status watch (history since the agent's cursor, else a snapshot; bookmarks when idle),
// and the interactive sessions (bridges.ts). Each gets an authorized CallContext from calls.ts, validates its
// input (validate.ts) and calls the scope's PodProvider.
import * as grpc from '@grpc/grpc-js';
import type { TunnelHandlers } from '../../proto/load.js';
import { METADATA, PROTOCOL_VERSION, missingCapabilities, protocolProblem } from '../../proto/wire.js';
import type { EgressSidecar, PodIntent, PodState, TenantScope } from '../pod-provider/provider.js';
import type { StatusEvent } from '../../proto/gen/ecigw/tunnel/v1/StatusEvent.js';
import { runExec, runLogs, runPortForward } from './bridges.js';
import type { Calls } from './calls.js';
import type { EgressRegistry } from './egress/registry.js';
import { runEgressConnection, runEgressStream } from './egress/tunnel-side.js';
import { isMalformed, malformedReason, type Malformed } from './decode.js';
import { RpcError } from './errors.js';
import type { RelayLimits } from './limits.js';
import type { StatusHub } from './status-hub.js';
import { providerSpan } from './trace.js';
import { ValidationError, requireUid, validateIntent } from './validate.js';

interface HandlerDeps {
  calls: Calls;
  /** Networking mode `tunnel`'s outbound state; absent when the relay has no egress listener. */
  egress?: EgressRegistry;
  /** The egress sidecar of a pod being applied, when its tenant has one (egress/setup.ts). */
  egressPod?: (scope: TenantScope, intent: PodIntent) => EgressSidecar | undefined;
  hub: StatusHub;
  limits: RelayLimits;
  /** This relay's version and capabilities, as the handshake reports them. */
  version: string;
  capabilities: readonly string[];
}

export function tunnelHandlers({ calls, hub, limits, version, capabilities, egress, egressPod }: HandlerDeps): TunnelHandlers {
  const unary = calls.unary.bind(calls);
  const session = calls.session.bind(calls);
  return {
    Handshake: unary('Handshake', (ctx, req) => {
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
        limits: { maxMessageBytes: limits.maxMessageBytes, maxConcurrentStreams: limits.maxConcurrentStreams, requestsPerSecond: limits.requestsPerSecond, burst: limits.burst, maxServiceConnections: limits.maxServiceConnectionsPerAgent },
      };
    }),

    ApplyPod: unary('ApplyPod', async (ctx, req) => {
      const intent = validateIntent(req.intent);
      const sidecar = egressPod?.(ctx.scope, intent);
      const r = await providerSpan('apply', ctx.scope, { uid: intent.uid }, () => ctx.provider.apply(ctx.scope, intent, sidecar ? { egress: sidecar } : undefined));
      ctx.log.info({ uid: r.uid, generation: r.generation, providerId: r.providerId, changed: r.changed }, 'pod applied');
      return r;
    }),

    DeletePod: unary('DeletePod', async (ctx, req) => {
      const uid = requireUid(req.uid, 'uid');
      if (req.gracePeriodSeconds < 0) throw new ValidationError('grace_period_seconds must be >= 0');
      const r = await providerSpan('delete', ctx.scope, { uid }, () => ctx.provider.delete(ctx.scope, uid, req.gracePeriodSeconds));
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

    Capacity: unary('Capacity', async (ctx) => ({ caps: (await ctx.provider.capacity?.(ctx.scope)) ?? [] })),

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

    Exec: session('Exec', 'exec', (ctx, call, guard) => runExec('exec', ctx, call, guard)),
    Attach: session('Attach', 'attach', (ctx, call, guard) => runExec('attach', ctx, call, guard)),
    Logs: session('Logs', 'logs', runLogs),
    PortForward: session('PortForward', 'portforward', runPortForward),
    ServiceConnection: session('ServiceConnection', 'service', runPortForward),
    Egress: session('Egress', 'egress', (ctx, call: Parameters<typeof runEgressStream>[3], guard) => runEgressStream(egress, limits.idleTimeoutMs, ctx, call, guard)),
    EgressConnection: session('EgressConnection', 'service', (ctx, call: Parameters<typeof runEgressConnection>[2], guard) => runEgressConnection(egress, ctx, call, guard)),
  };
}
