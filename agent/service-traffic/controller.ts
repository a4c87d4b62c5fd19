// Inbound Service traffic in networking mode `tunnel`: keeps, for every Service that selects burst pods of
// this virtual node, one agent listener per pod and target port (listeners.ts) and one EndpointSlice per pod
// (slices.ts) whose endpoint is the agent's advertised address and that listener's port. Runs on the leader
// only; a new leader rewrites the slices with its own address. Watches Services (node identity: the Node
// authorizer lets a node read them), its own slices (bootstrap credential, which also writes them) and the
// pod controller's pods; every change schedules one full reconcile, and reconciles never overlap. The
// outbound half (egress.ts) publishes the exported Services from the same Service watch.
import { CoreV1Api, DiscoveryV1Api, ListWatch, Watch, type KubeConfig, type KubernetesObject, type V1EndpointSlice, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { logger } from '../../common/log.js';
import { errorMessage, isNotFound } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import { ServiceListeners, listenerKey, type ListenerOptions, type ServiceTunnel, type ServiceTrafficObserver } from './listeners.js';
import { EgressPublisher, type EgressTunnel } from './egress.js';
import { SLICE_MANAGER, SLICE_NODE_LABEL, carriedPorts, desiredSlices, podEligible, selects, sliceUpToDate, unsupportedFeatures } from './slices.js';

export interface ServiceTrafficOptions extends ListenerOptions {
  nodeName: string;
  /** The address published in the slices: where on-prem nodes reach this replica's listeners (its pod IP). */
  advertiseAddress: string;
  /** Pause after a failed reconcile before the next (ms; default 1000). */
  retryMs?: number;
  /** A tunnel down this long marks every endpoint not ready (ms; default 3000, so a quick reconnect does not flap). */
  unreachableAfterMs?: number;
}

/** The pods of the virtual node as the pod controller sees them. */
export interface BurstPods {
  pods(): readonly V1Pod[];
  onPodChange(cb: () => void): () => void;
}

export class ServiceTrafficController {
  private readonly log = logger('service-traffic');
  private readonly services: ListWatch<V1Service>;
  private readonly slices: ListWatch<V1EndpointSlice>;
  private readonly discovery: DiscoveryV1Api;
  readonly listeners: ServiceListeners;
  private readonly egress: EgressPublisher;
  private readonly reported = new Set<string>();
  private unsubscribe?: () => void;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private dirty = false;
  private stopped = false;
  private reachable = true;
  private downTimer?: NodeJS.Timeout;

  constructor(
    nodeKc: KubeConfig,
    bootstrapKc: KubeConfig,
    private readonly pods: BurstPods,
    tunnel: ServiceTunnel & EgressTunnel,
    private readonly events: Pick<EventRecorder, 'record'>,
    private readonly o: ServiceTrafficOptions,
    observe?: ServiceTrafficObserver,
  ) {
    const core = nodeKc.makeApiClient(CoreV1Api);
    this.discovery = bootstrapKc.makeApiClient(DiscoveryV1Api);
    this.listeners = new ServiceListeners(tunnel, o, this.log, observe);
    this.egress = new EgressPublisher(bootstrapKc, tunnel, this.log, (svc, problem) => this.warn(svc, 'BurstExportInvalid', problem), observe);
    this.services = new ListWatch<V1Service>('/api/v1/services', new Watch(nodeKc), () => core.listServiceForAllNamespaces(), false);
    const labelSelector = `endpointslice.kubernetes.io/managed-by=${SLICE_MANAGER},${SLICE_NODE_LABEL}=${o.nodeName}`;
    this.slices = new ListWatch<V1EndpointSlice>(
      '/apis/discovery.k8s.io/v1/endpointslices',
      new Watch(bootstrapKc),
      () => this.discovery.listEndpointSliceForAllNamespaces({ labelSelector }),
      false,
      labelSelector,
    );
    for (const informer of [this.services, this.slices] as ListWatch<KubernetesObject>[]) {
      for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, () => this.schedule());
      informer.on('error', (err) => {
        if (this.stopped) return;
        this.log.warn({ err: errorMessage(err) }, 'watch failed; restarting');
        setTimeout(() => void informer.start().catch(() => undefined), this.o.retryMs ?? 1000).unref();
      });
    }
  }

  async start(): Promise<void> {
    await Promise.all([this.services.start(), this.slices.start()]);
    this.unsubscribe = this.pods.onPodChange(() => this.schedule());
    this.egress.servicesChanged(this.services.list());
    this.egress.start();
    this.log.info({ advertise: this.o.advertiseAddress, listen: this.o.host }, 'publishing burst pods as Service endpoints');
    this.schedule(0);
    await this.running;
  }

  /**
   * The tunnel's state: when it has been down for unreachableAfterMs every endpoint turns not ready (the
   * listeners could only reset what they accept); when it is back they follow their pods again.
   */
  setTunnelUp(up: boolean): void {
    if (this.stopped) return;
    if (up) {
      clearTimeout(this.downTimer);
      this.downTimer = undefined;
      if (!this.reachable) {
        this.reachable = true;
        this.log.info('tunnel back: burst endpoints follow their pods again');
        this.schedule(0);
      }
      return;
    }
    if (!this.reachable || this.downTimer) return;
    this.downTimer = setTimeout(() => {
      this.downTimer = undefined;
      this.reachable = false;
      this.log.warn('tunnel down: every burst endpoint marked not ready');
      this.schedule(0);
    }, this.o.unreachableAfterMs ?? 3000);
    this.downTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.downTimer);
    this.unsubscribe?.();
    this.egress.stop();
    await this.services.stop();
    await this.slices.stop();
    await this.running?.catch(() => undefined);
    this.listeners.close();
  }

  private schedule(delayMs = 20): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.reconcile()
        .catch((e) => {
          this.log.warn({ err: errorMessage(e) }, 'Service endpoints not reconciled; retrying');
          this.dirty = true;
        })
        .finally(() => {
          this.running = undefined;
          if (this.dirty) {
            this.dirty = false;
            this.schedule(this.o.retryMs ?? 1000);
          }
        });
    }, delayMs);
  }

  private async reconcile(): Promise<void> {
    this.egress.servicesChanged(this.services.list());
    const services = this.services.list().filter((s) => s.spec?.selector && Object.keys(s.spec.selector).length > 0);
    const pods = this.pods.pods().filter(podEligible);
    const wanted = new Map<string, { pod: V1Pod; targetPort: number }>();
    const selecting: V1Service[] = [];
    for (const svc of services) {
      const picked = pods.filter((p) => selects(svc, p));
      if (picked.length === 0) continue;
      selecting.push(svc);
      this.report(svc);
      for (const pod of picked) for (const p of carriedPorts(svc, pod)) wanted.set(listenerKey(pod.metadata?.uid as string, p.targetPort), { pod, targetPort: p.targetPort });
    }
    await this.listeners.sync(wanted);
    const desired = new Map<string, V1EndpointSlice>();
    for (const svc of selecting) {
      for (const s of desiredSlices(svc, pods, { nodeName: this.o.nodeName, address: this.o.advertiseAddress, reachable: this.reachable, listenerPort: (uid, port) => this.listeners.portOf(uid, port) })) {
        desired.set(`${s.metadata?.namespace}/${s.metadata?.name}`, s);
      }
    }
    const existing = new Map(this.slices.list().map((s) => [`${s.metadata?.namespace}/${s.metadata?.name}`, s]));
    for (const [key, want] of desired) {
      const have = existing.get(key);
      if (have && sliceUpToDate(have, want)) continue;
      const namespace = want.metadata?.namespace as string;
      if (have) {
        await this.discovery.replaceNamespacedEndpointSlice({ name: want.metadata?.name as string, namespace, body: { ...want, metadata: { ...want.metadata, resourceVersion: have.metadata?.resourceVersion } } });
      } else {
        await this.discovery.createNamespacedEndpointSlice({ namespace, body: want });
      }
    }
    for (const [key, have] of existing) {
      if (desired.has(key)) continue;
      await this.discovery.deleteNamespacedEndpointSlice({ name: have.metadata?.name as string, namespace: have.metadata?.namespace as string }).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    }
  }

  /** One Warning Event per Service and feature the tunnel cannot give (once per agent process). */
  private report(svc: V1Service): void {
    for (const why of unsupportedFeatures(svc)) this.warn(svc, 'BurstTrafficUnsupported', `burst pods on ${this.o.nodeName}: ${why}`);
  }

  /** A Warning Event on the Service, once per Service, reason and message in this agent process. */
  private warn(svc: V1Service, reason: string, message: string): void {
    const key = `${svc.metadata?.uid}|${reason}|${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    if (this.reported.size > 10_000) this.reported.delete(this.reported.values().next().value as string);
    void this.events.record({ kind: 'Service', metadata: svc.metadata }, 'Warning', reason, message);
  }
}
