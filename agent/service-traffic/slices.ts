// Pure mapping for inbound Service traffic in `tunnel` networking mode: which Services select which burst
// pods, which container port each Service port reaches on a pod, what the Service asks for that the tunnel
// cannot carry, and the EndpointSlices the agent publishes for them. Each burst pod gets a slice of its own
// per Service, because slice ports are per slice and every pod has its own agent listener port; kube-proxy
// then balances over the pods as over any other endpoints. No I/O here (table-tested).
import type { V1EndpointSlice, V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';

/** `endpointslice.kubernetes.io/managed-by` of our slices (the EndpointSlice controller leaves them alone). */
export const SLICE_MANAGER = 'gateway-agent.ecigw.io';
/** Label naming the virtual node whose agent owns a slice (several virtual nodes may share a cluster). */
export const SLICE_NODE_LABEL = 'ecigw.io/node';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** A Service port the tunnel carries to one pod: the Service port's name and the pod's container port. */
export interface CarriedPort {
  name: string;
  targetPort: number;
}

/** Where the agent listens for one pod's target port, as published (the advertised address and port). */
export type ListenerPortOf = (podUid: string, targetPort: number) => number | undefined;

/** Whether the Service's selector picks the pod (a Service without a selector picks nothing of ours). */
export function selects(service: V1Service, pod: V1Pod): boolean {
  const sel = service.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return false;
  if (service.metadata?.namespace !== pod.metadata?.namespace) return false;
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

/** The container port a Service port reaches on a pod: a number as is, a name looked up in the pod's containers. */
export function targetPortOf(port: V1ServicePort, pod: V1Pod): number | undefined {
  const t = port.targetPort ?? port.port;
  if (typeof t === 'number') return Number.isInteger(t) && t >= 1 && t <= 65535 ? t : undefined;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n >= 1 && n <= 65535 ? n : undefined;
  }
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === t && (p.protocol ?? 'TCP') === 'TCP') return p.containerPort;
  }
  return undefined;
}

/** The Service's TCP ports that reach the pod (UDP and SCTP ports are left out; see unsupportedFeatures). */
export function carriedPorts(service: V1Service, pod: V1Pod): CarriedPort[] {
  const out: CarriedPort[] = [];
  for (const p of service.spec?.ports ?? []) {
    if ((p.protocol ?? 'TCP') !== 'TCP') continue;
    const targetPort = targetPortOf(p, pod);
    if (targetPort !== undefined) out.push({ name: p.name ?? '', targetPort });
  }
  return out;
}

/**
 * What the Service asks for that the tunnel cannot give, one sentence each (reported as a Warning Event on
 * the Service): clients reach burst pods from the agent's address, over TCP only.
 */
export function unsupportedFeatures(service: V1Service): string[] {
  const s = service.spec ?? {};
  const out: string[] = [];
  const other = [...new Set((s.ports ?? []).map((p) => p.protocol ?? 'TCP').filter((p) => p !== 'TCP'))];
  if (other.length > 0) out.push(`${other.join(' and ')} ports are not carried to burst pods (the tunnel carries TCP only)`);
  if (s.externalTrafficPolicy === 'Local') out.push('externalTrafficPolicy=Local cannot keep client addresses: burst pods are reached through the gateway agent');
  if (s.internalTrafficPolicy === 'Local') out.push('internalTrafficPolicy=Local: burst pods sit on no ordinary node, so node-local clients never pick them');
  if (s.sessionAffinity === 'ClientIP') out.push('sessionAffinity=ClientIP sticks a client to one endpoint as usual, but burst pods see every client as the relay');
  if (s.clusterIP === 'None') out.push('headless Services are not carried to burst pods: their DNS answers carry no port, and each burst pod has its own agent port');
  return out;
}

/** Whether the pod should receive traffic: Ready, not terminating (as the EndpointSlice controller decides). */
export function podReady(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && hasReadyCondition(pod);
}

const hasReadyCondition = (pod: V1Pod): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Whether the pod can be an endpoint at all: running (or about to), not finished. */
export function podEligible(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !!pod.metadata?.uid;
}

/** The slice's name: the Service's name (shortened) and a digest of the pod uid; at most 63 characters. */
export function sliceName(serviceName: string, podUid: string): string {
  const digest = createHash('sha256').update(podUid).digest('hex').slice(0, 10);
  return `${serviceName.slice(0, 40).replace(/-+$/, '')}-ecigw-${digest}`;
}

/**
 * The slices the agent wants for one Service: one per eligible burst pod the Service selects whose carried
 * ports all have listeners. Endpoints are the advertised address; readiness follows the pod, and while the
 * tunnel is down (`reachable: false`) no endpoint is ready or serving, so clients go to on-prem pods.
 */
export function desiredSlices(service: V1Service, pods: readonly V1Pod[], o: { nodeName: string; address: string; listenerPort: ListenerPortOf; reachable?: boolean }): V1EndpointSlice[] {
  const reachable = o.reachable ?? true;
  if (unsupportedFeatures(service).some((f) => f.startsWith('headless'))) return [];
  const out: V1EndpointSlice[] = [];
  const svcName = service.metadata?.name ?? '';
  const namespace = service.metadata?.namespace ?? '';
  for (const pod of pods) {
    if (!selects(service, pod) || !podEligible(pod)) continue;
    const uid = pod.metadata?.uid as string;
    const ports = carriedPorts(service, pod).map((p) => ({ ...p, listener: o.listenerPort(uid, p.targetPort) }));
    if (ports.length === 0 || ports.some((p) => p.listener === undefined)) continue;
    const ready = reachable && podReady(pod);
    const terminating = !!pod.metadata?.deletionTimestamp;
    out.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: sliceName(svcName, uid),
        namespace,
        labels: { [MANAGED_BY_LABEL]: SLICE_MANAGER, [SERVICE_NAME_LABEL]: svcName, [SLICE_NODE_LABEL]: o.nodeName },
        ownerReferences: service.metadata?.uid ? [{ apiVersion: 'v1', kind: 'Service', name: svcName, uid: service.metadata.uid, controller: true }] : undefined,
      },
      addressType: isIPv6(o.address) ? 'IPv6' : 'IPv4',
      endpoints: [
        {
          addresses: [o.address],
          conditions: { ready, serving: reachable && hasReadyCondition(pod), terminating },
          nodeName: o.nodeName,
          targetRef: { kind: 'Pod', namespace, name: pod.metadata?.name, uid },
        },
      ],
      ports: ports.map((p) => ({ name: p.name, port: p.listener, protocol: 'TCP' })),
    });
  }
  return out;
}

/** Whether a published slice already says what `want` says (labels, owner, address type, endpoints, ports). */
export function sliceUpToDate(have: V1EndpointSlice, want: V1EndpointSlice): boolean {
  const pick = (s: V1EndpointSlice) =>
    JSON.stringify([
      s.metadata?.labels ?? {},
      (s.metadata?.ownerReferences ?? []).map((r) => r.uid),
      s.addressType,
      (s.endpoints ?? []).map((e) => [e.addresses, !!e.conditions?.ready, !!e.conditions?.serving, !!e.conditions?.terminating, e.nodeName ?? '', e.targetRef?.uid ?? '']),
      (s.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP']),
    ]);
  return pick(have) === pick(want);
}
