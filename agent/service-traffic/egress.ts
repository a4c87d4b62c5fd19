// Networking mode `tunnel`, outbound, on the agent: publishes the Services exported to burst pods
// (exports.ts) on the tunnel's Egress stream, and answers each of the relay's dial requests by connecting to
// a ready endpoint of the exported Service from inside the cluster (EndpointSlices, so no kube-proxy is
// needed on the agent's node) and carrying the bytes on an EgressConnection. It checks every dial against its
// own current exports: the agent never dials anything that is not exported to the pod's namespace.
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DiscoveryV1Api, type KubeConfig, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import type { Logger } from '../../common/log.js';
import type { EgressDial__Output } from '../../proto/gen/ecigw/tunnel/v1/EgressDial.js';
import type { ExportedService__Output as ExportedService } from '../../proto/gen/ecigw/tunnel/v1/ExportedService.js';
import { exportAllows, exportOf } from './exports.js';
import { SLICE_MANAGER } from './slices.js';
import { NO_OBSERVER, carry, type ServiceTrafficObserver } from './listeners.js';

/** The tunnel as the outbound path sees it. */
export interface EgressTunnel {
  egress: { serve(h: (d: EgressDial__Output) => void): () => void; publish(exports: ExportedService[]): void };
  portForward(start: { namespace: string; podName: string; podUid: string; port: number }, o: { egressOpen: { connId: string; error: string } }): Promise<{ stream: Duplex; cancel(): void }>;
}

/** EndpointSlices of a Service are read again after this long (a dial burst costs one list). */
const ENDPOINTS_CACHE_MS = 2_000;
const CONNECT_TIMEOUT_MS = 5_000;

export class EgressPublisher {
  private exports = new Map<string, ExportedService>();
  private published = '';
  private stopServing?: () => void;
  private readonly discovery: DiscoveryV1Api;
  private readonly endpoints = new Map<string, { at: number; slices: Promise<V1EndpointSlice[]> }>();

  constructor(
    bootstrapKc: KubeConfig,
    private readonly tunnel: EgressTunnel,
    private readonly log: Logger,
    private readonly report: (svc: V1Service, problem: string) => void,
    private readonly observe: ServiceTrafficObserver = NO_OBSERVER,
  ) {
    this.discovery = bootstrapKc.makeApiClient(DiscoveryV1Api);
  }

  start(): void {
    this.stopServing = this.tunnel.egress.serve((d) => void this.dial(d));
  }

  stop(): void {
    this.stopServing?.();
  }

  /** Recomputes the exports from the Services; publishes them when they changed. */
  servicesChanged(services: readonly V1Service[]): void {
    const next = new Map<string, ExportedService>();
    for (const svc of services) {
      const { export: e, problem } = exportOf(svc);
      if (problem) this.report(svc, problem);
      if (e) next.set(`${e.namespace}/${e.name}`, e);
    }
    this.exports = next;
    const list = [...next.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
    const text = JSON.stringify(list);
    if (text === this.published) return;
    this.published = text;
    this.log.info({ exports: list.length }, 'Services exported to burst pods');
    this.tunnel.egress.publish(list);
  }

  private async dial(d: EgressDial__Output): Promise<void> {
    const target = `${d.namespace}/${d.name}:${d.port}`;
    const answer = (error: string) => this.tunnel.portForward({ namespace: d.namespace, podName: d.name, podUid: d.podUid, port: d.port }, { egressOpen: { connId: d.connId, error } });
    const e = this.exports.get(`${d.namespace}/${d.name}`);
    if (!e || !exportAllows(e, d.podNamespace, d.port)) {
      this.log.warn({ target, podNamespace: d.podNamespace, podUid: d.podUid }, 'egress dial refused: not exported to that namespace');
      this.observe.outcome('outbound', 'refused_not_exported');
      await answer(`${target} is not exported to burst pods of namespace ${d.podNamespace}`).then((s) => s.cancel(), () => undefined);
      return;
    }
    let socket: Socket;
    try {
      socket = await this.connect(e, d.port);
    } catch (err) {
      this.log.info({ target, err: (err as Error).message }, 'egress dial failed');
      this.observe.outcome('outbound', 'failed');
      await answer((err as Error).message).then((s) => s.stream.end(), () => undefined);
      return;
    }
    let session: { stream: Duplex; cancel(): void };
    try {
      session = await answer('');
    } catch (err) {
      this.log.info({ target, err: (err as Error).message }, 'egress connection could not be opened on the tunnel');
      this.observe.outcome('outbound', 'failed');
      socket.resetAndDestroy();
      return;
    }
    carry(socket, session, 'outbound', this.observe);
  }

  /** A connection to a ready endpoint of the Service for its port `port` (a random one; on-prem ones first). */
  private async connect(e: ExportedService, port: number): Promise<Socket> {
    const portName = e.ports.find((p) => p.port === port)?.name ?? '';
    const slices = await this.slicesOf(e.namespace, e.name);
    const candidates: { address: string; port: number; ours: boolean }[] = [];
    for (const s of slices) {
      const p = (s.ports ?? []).find((x) => (x.name ?? '') === portName && (x.protocol ?? 'TCP') === 'TCP');
      if (!p?.port) continue;
      const ours = s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'] === SLICE_MANAGER;
      for (const ep of s.endpoints ?? []) if (ep.conditions?.ready !== false && ep.addresses[0]) candidates.push({ address: ep.addresses[0], port: p.port, ours });
    }
    const onPrem = candidates.filter((c) => !c.ours);
    const pool = onPrem.length > 0 ? onPrem : candidates;
    if (pool.length === 0) throw new Error(`${e.namespace}/${e.name} has no ready endpoint for port ${port}`);
    const pick = pool[Math.floor(Math.random() * pool.length)];
    return await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: pick.address, port: pick.port, allowHalfOpen: true, noDelay: true });
      const timer = setTimeout(() => s.destroy(new Error(`connecting to ${pick.address}:${pick.port} timed out`)), CONNECT_TIMEOUT_MS);
      s.once('connect', () => (clearTimeout(timer), resolve(s)));
      s.once('error', (err) => (clearTimeout(timer), reject(err)));
    });
  }

  private slicesOf(namespace: string, name: string): Promise<V1EndpointSlice[]> {
    const key = `${namespace}/${name}`;
    const hit = this.endpoints.get(key);
    if (hit && Date.now() - hit.at < ENDPOINTS_CACHE_MS) return hit.slices;
    const slices = this.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${name}` }).then((l) => l.items);
    slices.catch(() => this.endpoints.delete(key));
    this.endpoints.set(key, { at: Date.now(), slices });
    if (this.endpoints.size > 1000) this.endpoints.delete(this.endpoints.keys().next().value as string);
    return slices;
  }
}
