// Downward API values (fieldRef, resourceFieldRef) computed from the pod object, as the kubelet does.
// Pure. status.podIP is left to the cloud side (ECI fills it in from the group's address).
import type { V1Pod, V1Container, V1ObjectFieldSelector, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { parseQuantity } from '../../common/quantity.js';

/** Fields the cloud side resolves itself (the value is unknown before the container group exists). */
const CLOUD_RESOLVED_FIELDS = new Set(['status.podIP', 'status.podIPs', 'status.hostIP', 'status.hostIPs']);

function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify((m ?? {})[k])}`)
    .join('\n');
}

/** Resolves a fieldRef, or returns undefined for fields the cloud side fills in. Throws on an unsupported path. */
export function fieldRefValue(pod: V1Pod, ref: V1ObjectFieldSelector, nodeName: string): string | undefined {
  const path = ref.fieldPath;
  if (CLOUD_RESOLVED_FIELDS.has(path)) return undefined;
  const md = pod.metadata ?? {};
  const sub = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (sub) return (sub[1] === 'labels' ? md.labels : md.annotations)?.[sub[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return md.name ?? '';
    case 'metadata.namespace':
      return md.namespace ?? '';
    case 'metadata.uid':
      return md.uid ?? '';
    case 'metadata.labels':
      return formatMap(md.labels);
    case 'metadata.annotations':
      return formatMap(md.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    default:
      throw new Error(`unsupported fieldRef.fieldPath "${path}"`);
  }
}

const CPU_UNITS: Record<string, number> = { m: 1e-3, '': 1 };

function quantity(q: string): number {
  const n = parseQuantity(q);
  if (n === undefined) throw new Error(`bad quantity "${q}"`);
  return n;
}

/** resourceFieldRef as the kubelet computes it: limits fall back to node allocatable, divisor rounds up. */
export function resourceFieldRefValue(container: V1Container, ref: V1ResourceFieldSelector, nodeAllocatable: Record<string, string>): string {
  const [kind, resource] = ref.resource.split('.', 2) as ['limits' | 'requests', string];
  if (!['limits', 'requests'].includes(kind) || !resource) throw new Error(`unsupported resourceFieldRef.resource "${ref.resource}"`);
  const res = container.resources ?? {};
  const raw = (kind === 'limits' ? res.limits?.[resource] : res.requests?.[resource]) ?? (kind === 'limits' ? nodeAllocatable[resource] : undefined) ?? '0';
  const divisor = ref.divisor ? quantity(String(ref.divisor)) : resource === 'cpu' ? CPU_UNITS[''] : 1;
  return String(Math.ceil(quantity(String(raw)) / divisor));
}
