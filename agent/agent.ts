// The agent process's wiring: the node identity (a node client certificate from the bootstrap credential),
// leader election, then the tunnel client, the node controller and the pod controller (and the kubelet API
// server when configured). Everything kubelet-like goes with the node identity; the bootstrap credential
// only files CSRs and holds the leader Lease. Status flows relay → tunnel watch → pod controller; tunnel
// health flows into the node's TunnelConnected condition.
import type { KubeConfig } from '@kubernetes/client-node';
import { TunnelClient, type TunnelClientOptions, type TunnelState } from './tunnel/client.js';
import { NodeController } from './node/node-controller.js';
import type { NodeConfig } from './node/node-spec.js';
import { PodController } from './pods/pod-controller.js';
import { DEFAULT_DELETION_COST } from './pods/deletion-cost.js';
import { decodePodState, type PodTunnel } from './pods/tunnel-port.js';
import { KeyedApplier } from './pods/status-applier.js';
import { registerAgentMetrics, timedPodTunnel } from './metrics.js';
import type { Registry } from 'prom-client';
import { LeaderElector, type LeaderElectionOptions } from './leader/election.js';
import { logger } from '../common/log.js';
import { errorMessage } from './kube/errors.js';
import { NodeIdentity, type NodeIdentityOptions } from './kube/node-identity/node-identity.js';
import { agentReadiness } from './readiness.js';
import type { Readiness } from '../common/readiness.js';
import { ServiceTrafficController } from './service-traffic/controller.js';
import type { ListenerOptions, ServiceTrafficObserver } from './service-traffic/listeners.js';
import { EventRecorder } from './kube/events.js';

/**
 * How burst pods are reached. `routed`: the datacenter reaches the VPC at L3 (private line, VPN); pod IPs
 * are the container groups' VPC addresses. `tunnel`: nothing but the agent's outbound connection; pods get
 * no pod IP and every Service that selects them gets EndpointSlices of the agent's own listeners.
 */
export type NetworkOptions = { mode: 'routed' } | ({ mode: 'tunnel'; advertiseAddress: string } & ListenerOptions);

export interface AgentOptions {
  /**
   * The bootstrap credential (a ServiceAccount or a kubeconfig): files the node's CSRs and holds the leader
   * Lease. Without `nodeIdentity` it is used for everything (e.g. a kubeconfig that already is a node's).
   */
  kubeConfig: KubeConfig;
  /** Obtain a node client certificate and do everything kubelet-like with it (the node name comes from `node`). */
  nodeIdentity?: Omit<NodeIdentityOptions, 'nodeName'>;
  node: NodeConfig;
  tunnel: TunnelClientOptions;
  leaderElection?: LeaderElectionOptions;
  /** Pod work-queue workers (pods synced in parallel; default 64). */
  podWorkers?: number;
  /** See PodControllerOptions.pendingStatusDelayMs. */
  pendingStatusDelayMs?: number;
  /** See PodControllerOptions.deletionCost; default DEFAULT_DELETION_COST, null = burst pods are not marked. */
  deletionCost?: number | null;
  /** See PodControllerOptions.events. */
  events?: { qps?: number; burst?: number };
  /** Relay status updates applied in parallel (per-pod order is kept; default 32). */
  statusWorkers?: number;
  /** Registry for the agent's metrics (tunnel state, pods by phase, queue depth, intent latency). */
  registry?: Registry;
  /** Called when leadership is lost; the default exits the process (as client-go's elector does). */
  onLeadershipLost?: () => void;
  /** Networking mode (default `routed`). */
  network?: NetworkOptions;
  /** Optional extra components started after the controllers (e.g. the kubelet API server). */
  extras?: (ctx: { tunnel: TunnelClient; pods: PodController; node: NodeController; kubeConfig: KubeConfig }) => Promise<{ close(): Promise<void> }>;
}

export class Agent {
  readonly tunnel: TunnelClient;
  readonly node: NodeController;
  readonly pods: PodController;
  /** The node identity, when the agent obtains one. */
  readonly identity?: NodeIdentity;
  /** What kubelet-like requests go with: the node identity's KubeConfig, or the given one without it. */
  readonly nodeKubeConfig: KubeConfig;
  private readonly log = logger('agent');
  private elector?: LeaderElector;
  private unwatch?: () => void;
  private extra?: { close(): Promise<void> };
  private started = false;
  private tunnelReason = 'TunnelConnecting';
  private readonly statusApplier: KeyedApplier;
  private serviceTraffic?: ServiceTrafficController;
  private serviceObserver?: ServiceTrafficObserver;

  constructor(private readonly o: AgentOptions) {
    this.tunnel = new TunnelClient(o.tunnel);
    if (o.nodeIdentity) this.identity = new NodeIdentity(o.kubeConfig, { ...o.nodeIdentity, nodeName: o.node.name });
    this.nodeKubeConfig = this.identity?.kubeConfig ?? o.kubeConfig;
    // Allocatable follows the relay's caps, asked only over a live tunnel (a status write never waits for one).
    this.node = new NodeController(this.nodeKubeConfig, o.node, {
      caps: () => (this.tunnel.state === 'connected' ? this.tunnel.capacity({ deadlineMs: 2000 }) : Promise.reject(new Error('tunnel not connected'))),
    });
    let podTunnel: PodTunnel = this.tunnel;
    if (o.registry) {
      const m = registerAgentMetrics(o.registry, {
        tunnelState: () => this.tunnel.state,
        pods: () => this.pods.pods(),
        queueDepth: () => {
          const q = this.pods.queueDepth();
          return q.queued + q.delayed + q.dirty;
        },
        events: () => this.pods.eventStats(),
        serviceConnections: () => this.serviceTraffic?.listeners.connections ?? 0,
        caps: () => this.node.lastCaps,
      });
      podTunnel = timedPodTunnel(this.tunnel, m.intentLatency);
      this.serviceObserver = m.serviceTraffic;
    }
    this.statusApplier = new KeyedApplier(o.statusWorkers ?? 32);
    this.pods = new PodController(this.nodeKubeConfig, podTunnel, {
      nodeName: o.node.name,
      nodeAllocatable: o.node.capacity,
      hostIP: o.node.internalIP,
      workers: o.podWorkers ?? 64,
      pendingStatusDelayMs: o.pendingStatusDelayMs,
      events: o.events,
      podIPs: o.network?.mode === 'tunnel' ? 'none' : 'cloud',
      deletionCost: o.deletionCost === null ? undefined : (o.deletionCost ?? DEFAULT_DELETION_COST),
    });
  }

  get isLeader(): boolean {
    return this.started;
  }

  /** What /readyz reports: the role (standby, starting, active) and, when active, informer and tunnel. */
  readiness(): Readiness {
    const le = this.o.leaderElection;
    return agentReadiness({
      role: this.started ? 'active' : this.elector && !this.elector.isLeader ? 'standby' : 'starting',
      leaderElection: le ? { lease: `${le.namespace}/${le.name}`, holder: this.elector?.holder } : undefined,
      tunnel: { state: this.tunnel.state, lastError: this.tunnel.lastError?.message },
      podsSynced: this.pods.hasSynced,
    });
  }

  async start(): Promise<void> {
    // Every replica holds its own certificate, so a standby takes over without waiting for one.
    await this.identity?.start();
    if (this.o.leaderElection) {
      this.elector = new LeaderElector(this.o.kubeConfig, this.o.leaderElection);
      await this.elector.run(this.o.onLeadershipLost ?? (() => process.exit(1)));
    }
    await this.node.start();
    this.tunnel.on('state', (s: TunnelState, detail?: unknown) => this.onTunnelState(s, detail));
    // Updates of different pods are written in parallel (each needs API writes); one pod's stay in order.
    this.unwatch = this.tunnel.watchStatus(async (s) => {
      let state;
      try {
        state = decodePodState(s);
      } catch (e) {
        this.log.warn({ uid: s.uid, err: errorMessage(e) }, 'dropped an undecodable pod status');
        return;
      }
      await this.statusApplier.submit(state.uid, async () => {
        try {
          await this.pods.onPodState(state);
        } catch (e) {
          this.log.warn({ uid: s.uid, err: errorMessage(e) }, 'could not apply pod status');
        }
      });
    });
    this.tunnel.start();
    await this.pods.start();
    const net = this.o.network;
    if (net?.mode === 'tunnel') {
      this.serviceTraffic = new ServiceTrafficController(
        this.nodeKubeConfig,
        this.o.kubeConfig,
        this.pods,
        this.tunnel,
        new EventRecorder(this.nodeKubeConfig, this.o.node.name, this.o.events),
        { ...net, nodeName: this.o.node.name },
        this.serviceObserver,
      );
      this.serviceTraffic.setTunnelUp(this.tunnel.state === 'connected');
      await this.serviceTraffic.start();
    }
    if (this.o.extras) this.extra = await this.o.extras({ tunnel: this.tunnel, pods: this.pods, node: this.node, kubeConfig: this.nodeKubeConfig });
    this.started = true;
    this.log.info({ node: this.o.node.name }, 'agent started');
  }

  /**
   * Stops every loop. `releaseLease: false` keeps the leader Lease as it is, as a crashed replica would
   * (a standby then takes over only once the lease expires); the default hands it back at once.
   */
  async stop(o: { releaseLease?: boolean } = {}): Promise<void> {
    this.unwatch?.();
    await this.serviceTraffic?.stop().catch(() => undefined);
    await this.extra?.close().catch(() => undefined);
    await this.pods.stop();
    this.node.stop();
    await this.tunnel.stop();
    await this.elector?.stop(o.releaseLease ?? true);
    this.identity?.stop();
    this.started = false;
  }

  private onTunnelState(s: TunnelState, detail?: unknown): void {
    // Each reconnect attempt passes through 'connecting'; while the relay stays unreachable that is still
    // "disconnected" (one condition transition per outage, not two node status writes per attempt).
    if (s === 'connecting' && this.tunnelReason === 'TunnelDisconnected') return;
    const message = detail instanceof Error ? detail.message : typeof detail === 'string' ? detail : (this.tunnel.lastError?.message ?? '');
    this.serviceTraffic?.setTunnelUp(s === 'connected');
    if (s === 'connected') {
      this.tunnelReason = 'TunnelConnected';
      this.node.setTunnelHealth({ connected: true, reason: 'TunnelConnected', message: 'connected to the relay' });
      void this.pods
        .reconcile()
        .then((r) => this.log.info(r, 'reconciled with the relay'))
        .catch((e) => this.log.warn({ err: errorMessage(e) }, 'reconcile failed'));
    } else {
      this.tunnelReason = s === 'connecting' ? 'TunnelConnecting' : 'TunnelDisconnected';
      this.node.setTunnelHealth({
        connected: false,
        reason: this.tunnelReason,
        message: message || (s === 'connecting' ? 'connecting to the relay' : 'relay unreachable; burst pods keep running and keep their last status'),
      });
    }
  }
}
