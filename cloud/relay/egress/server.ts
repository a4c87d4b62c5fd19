// The relay's egress listener (networking mode `tunnel`, outbound): a gRPC server of its own port, over the
// relay's TLS, that burst pods' egress sidecars call. Each call carries the pod's egress credential
// (token.ts); it must be genuine, name a tenant cluster this relay serves, and (unless turned off for NATed
// sources) come from the pod's own address as ECI reports it. WatchExports streams what the pod's namespace
// may reach; Connect asks the cluster's agent to reach one exported Service and bridges the bytes (on a data
// connection to the relay's data port when the sidecar asks, as the agent's sessions do). Every
// refusal is logged with the pod and the target and counted.
import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { METADATA } from '../../../proto/wire.js';
import type { DataConnections } from '../data-connections.js';
import type { Duplex } from 'node:stream';
import type { Counter } from 'prom-client';
import type { Logger } from '../../../common/log.js';
import { egressServiceDefinition } from '../../../proto/load.js';
import type { EgressHandlers } from '../../../proto/gen/ecigw/egress/v1/Egress.js';
import type { Chunk, Chunk__Output } from '../../../proto/gen/ecigw/egress/v1/Chunk.js';
import type { ExportList } from '../../../proto/gen/ecigw/egress/v1/ExportList.js';
import type { PodProvider, TenantConfig, TenantScope } from '../../pod-provider/provider.js';
import { scopeKey } from '../keys.js';
import { relayServerCredentials, type RelayTlsFiles } from '../tls.js';
import { EgressRefused, type EgressRegistry } from './registry.js';
import type { EgressTokens, PodClaims } from './token.js';

export interface EgressServerOptions {
  host: string;
  port: number;
  tls: RelayTlsFiles;
  tokens: EgressTokens;
  registry: EgressRegistry;
  /** The relay's current tenants (config reloads included). */
  tenants: () => Record<string, TenantConfig>;
  providerFor: (tenant: TenantConfig) => PodProvider;
  /** Refuse calls that do not come from the pod's own address (off when pods reach the relay through NAT). */
  checkSourceAddress: boolean;
  log: Logger;
  /** The relay's data-connection listener, when it has one: Connect's bytes may go there. */
  dataConnections?: DataConnections;
  /** Refusals by reason (bad_token, unknown_scope, source, not_exported, no_agent, agent_timeout, agent_error, too_many). */
  denied: Counter<'reason'>;
}

interface Authorized {
  claims: PodClaims;
  scope: TenantScope;
  key: string;
  log: Logger;
}

class Denied extends Error {
  constructor(
    readonly code: grpc.status,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The peer's IP from grpc-js's `1.2.3.4:5` / `[::1]:5` form (an `ipv4:`/`ipv6:` prefix and IPv4-mapped IPv6 unwrapped). */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const m = /^\[([^\]]+)\]:\d+$/.exec(bare) ?? /^([^:]+):\d+$/.exec(bare);
  const ip = m?.[1] ?? bare;
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export async function startEgressServer(o: EgressServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const authorize = async (call: { metadata: grpc.Metadata; getPeer(): string }): Promise<Authorized> => {
    const header = call.metadata.get('authorization')[0];
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
    const claims = o.tokens.verify(token);
    if (!claims) throw new Denied(grpc.status.UNAUTHENTICATED, 'bad_token', 'no valid egress credential');
    const tenant = o.tenants()[claims.tenantId];
    if (!tenant || !tenant.clusterIds.includes(claims.clusterId)) throw new Denied(grpc.status.PERMISSION_DENIED, 'unknown_scope', `tenant ${claims.tenantId} cluster ${claims.clusterId} is not served here`);
    const scope: TenantScope = { tenantId: claims.tenantId, clusterId: claims.clusterId, tenant };
    if (o.checkSourceAddress) {
      const state = await o.providerFor(tenant).get(scope, claims.uid).catch(() => undefined);
      const podIP = state && !state.gone ? (JSON.parse(state.statusJson.toString('utf8') || '{}') as { podIP?: string }).podIP : undefined;
      const from = peerAddress(call.getPeer());
      if (!podIP || podIP !== from) throw new Denied(grpc.status.PERMISSION_DENIED, 'source', `the credential of pod ${claims.namespace}/${claims.uid} was presented from ${from}, not from the pod's address ${podIP ?? '(none: no such pod)'}`);
    }
    return { claims, scope, key: scopeKey(claims.tenantId, claims.clusterId), log: o.log.child({ tenant: claims.tenantId, cluster: claims.clusterId, podUid: claims.uid, podNamespace: claims.namespace }) };
  };
  const refuse = (e: unknown, log: Logger, target: Record<string, unknown>): grpc.ServiceError => {
    const d = e instanceof Denied ? e : e instanceof EgressRefused ? new Denied(e.reason === 'not_exported' ? grpc.status.PERMISSION_DENIED : grpc.status.UNAVAILABLE, e.reason, e.message) : new Denied(grpc.status.INTERNAL, 'internal', (e as Error).message);
    o.denied.inc({ reason: d.reason });
    log.warn({ reason: d.reason, ...target, err: d.message }, 'egress refused');
    return Object.assign(new Error(d.message), { code: d.code, details: d.message, metadata: new grpc.Metadata() });
  };

  const handlers: EgressHandlers = {
    WatchExports: (call: grpc.ServerWritableStream<unknown, ExportList>) => {
      authorize(call).then(
        (a) => {
          const stop = o.registry.watch(a.key, a.claims.namespace, (services) => call.write({ services }));
          call.on('cancelled', stop);
          call.on('close', stop);
          call.on('error', stop);
        },
        (e) => call.emit('error', refuse(e, o.log, { call: 'WatchExports', peer: call.getPeer() })),
      );
    },
    Connect: (call: grpc.ServerDuplexStream<Chunk__Output, Chunk>) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      call.on('error', () => abort.abort());
      call.pause();
      void (async () => {
        let log = o.log;
        let target: Record<string, unknown> = { peer: call.getPeer() };
        try {
          const a = await authorize(call);
          log = a.log;
          call.resume();
          const start = await firstChunk(call);
          target = { service: `${start.namespace}/${start.name}`, port: start.port };
          const answered = await o.registry.dial(a.key, { podUid: a.claims.uid, podNamespace: a.claims.namespace, namespace: start.namespace, name: start.name, port: start.port }, abort.signal);
          // The bytes go on a data connection when the sidecar asks and the relay has them (as the agent's
          // sessions do): the offer in the response headers, else (or when none comes) on the call.
          const headers = new grpc.Metadata();
          const offer = o.dataConnections && call.metadata.get(METADATA.dataConnection)[0] === '1' ? o.dataConnections.expect(abort.signal, true) : undefined;
          if (offer && o.dataConnections) {
            headers.set(METADATA.dataToken, offer.token);
            headers.set(METADATA.dataPort, String(o.dataConnections.port));
          }
          call.sendMetadata(headers);
          const socket = offer ? await offer.socket : undefined;
          if (socket) await pipeSocket(socket, answered.bridge, abort.signal);
          else await pipeChunks(call, answered.bridge, abort.signal);
          answered.release();
          call.end();
        } catch (e) {
          if (!abort.signal.aborted) call.emit('error', refuse(e, log, target));
        }
      })();
    },
  };

  const server = new grpc.Server({ 'grpc.max_concurrent_streams': 1024, 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000 });
  server.addService(egressServiceDefinition, handlers);
  const creds = await relayServerCredentials(o.tls);
  // Our own listener, so its sockets run without Nagle (HTTP/2's small frames would wait for delayed ACKs).
  const injector = server.createConnectionInjector(creds);
  const listener = createServer({ noDelay: true }, (socket) => injector.injectConnection(socket));
  const port = await new Promise<number>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(o.port, o.host, () => resolve((listener.address() as { port: number }).port));
  });
  o.log.info({ host: o.host, port }, 'egress listener for burst pods\' sidecars');
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      listener.close();
      const t = setTimeout(() => (server.forceShutdown(), injector.destroy(), resolve()), 2000);
      server.tryShutdown(() => (clearTimeout(t), injector.destroy(), resolve()));
    }),
  };
}

/** Bytes both ways between the sidecar's data connection (FIN = half-close) and the agent's connection. */
function pipeSocket(socket: TLSSocket, bridge: Duplex, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => (socket.destroy(), bridge.destroy(), done());
    signal.addEventListener('abort', onAbort, { once: true });
    bridge.on('error', () => socket.destroy());
    socket.on('error', () => bridge.destroy());
    socket.once('close', done);
    socket.pipe(bridge);
    bridge.pipe(socket);
  });
}

/** The Connect call's first chunk, which must be a well-formed `start`. */
function firstChunk(call: grpc.ServerDuplexStream<Chunk__Output, Chunk>): Promise<{ namespace: string; name: string; port: number }> {
  return new Promise((resolve, reject) => {
    call.once('data', (m: Chunk__Output) => {
      call.pause();
      const s = m.msg === 'start' ? m.start : undefined;
      if (!s || !s.namespace || !s.name || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535 || s.namespace.length > 63 || s.name.length > 63) {
        return reject(new Denied(grpc.status.INVALID_ARGUMENT, 'bad_start', 'the first message must be start with a namespace, a name and a port'));
      }
      resolve({ namespace: s.namespace, name: s.name, port: s.port });
    });
    call.once('end', () => reject(new Denied(grpc.status.INVALID_ARGUMENT, 'bad_start', 'ended before start')));
  });
}

/**
 * Bytes both ways between the sidecar's call and the agent's connection, with back-pressure each way and
 * half-closes passed on; resolves when both directions ended or the call went away.
 */
function pipeChunks(call: grpc.ServerDuplexStream<Chunk__Output, Chunk>, bridge: Duplex, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let up = false;
    let down = false;
    const check = () => up && down && finish();
    const finish = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => (bridge.destroy(), finish());
    signal.addEventListener('abort', onAbort, { once: true });
    call.on('data', (m: Chunk__Output) => {
      if (m.msg === 'data' && m.data) {
        if (!bridge.write(m.data)) {
          call.pause();
          bridge.once('drain', () => call.resume());
        }
      } else if (m.msg === 'closeWrite') bridge.end();
    });
    const ended = () => {
      if (!bridge.writableEnded) bridge.end();
      up = true;
      check();
    };
    // The sidecar may have half-closed right after its start (the 'end' then came while that was read).
    if (call.readableEnded) ended();
    else call.on('end', ended);
    bridge.on('data', (b: Buffer) => {
      if (!call.write({ data: b })) {
        bridge.pause();
        call.once('drain', () => bridge.resume());
      }
    });
    bridge.on('end', () => {
      call.write({ closeWrite: true });
      down = true;
      check();
    });
    bridge.on('error', () => finish());
    call.resume();
  });
}
