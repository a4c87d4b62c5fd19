// Resource arithmetic: Kubernetes quantity parsing, per-container cpu/memory/gpu, the pod's effective total
// (max(sum(containers), max(initContainers)) like the scheduler), rounding up to a supported ECI vCPU/memory
// spec, and the Kubernetes QoS class. Spec table: ECI docs "Specify vCPU and memory" (specs in all regions).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { parseQuantity } from '../../../common/quantity.js';

export const GIB = 2 ** 30;
const GPU_RESOURCE = 'nvidia.com/gpu';

/** vCPU -> supported memory sizes (GiB), available in all ECI regions. */
export const ECI_SPECS: ReadonlyArray<{ cpu: number; memory: readonly number[] }> = [
  { cpu: 0.25, memory: [0.5, 1] },
  { cpu: 0.5, memory: [1, 2] },
  { cpu: 1, memory: [2, 4, 8] },
  { cpu: 2, memory: [1, 2, 4, 8, 16] },
  { cpu: 4, memory: [2, 4, 8, 16, 32] },
  { cpu: 8, memory: [4, 8, 16, 32, 64] },
  { cpu: 12, memory: [12, 24, 48, 96] },
  { cpu: 16, memory: [16, 32, 64, 128] },
  { cpu: 24, memory: [24, 48, 96, 192] },
  { cpu: 32, memory: [32, 64, 128, 256] },
  { cpu: 52, memory: [96, 192, 384] },
  { cpu: 64, memory: [128, 256, 512] },
];

export function isSupportedSpec(cpu: number, memory: number): boolean {
  return ECI_SPECS.some((s) => s.cpu === cpu && s.memory.includes(memory));
}

/** Smallest supported spec with cpu >= wanted and memory >= wanted (ordered by cpu, then memory), or undefined. */
export function roundUpToSpec(cpu: number, memory: number): { cpu: number; memory: number } | undefined {
  for (const s of ECI_SPECS) {
    if (s.cpu + 1e-9 < cpu) continue;
    const mem = s.memory.find((m) => m + 1e-9 >= memory);
    if (mem !== undefined) return { cpu: s.cpu, memory: mem };
  }
  return undefined;
}

export interface ContainerResources {
  /** Cores; limits win over requests (what the container may use is what must be provisioned). */
  cpu?: number;
  /** GiB. */
  memory?: number;
  gpu?: number;
}

type ResourceProblem = { resource: string; value: string };

/** Reads cpu/memory/gpu of one container; malformed quantities are reported via `bad`. */
export function containerResources(c: V1Container, bad: (p: ResourceProblem) => void): ContainerResources {
  const pick = (name: string): number | undefined => {
    const raw = c.resources?.limits?.[name] ?? c.resources?.requests?.[name];
    if (raw === undefined) return undefined;
    const v = parseQuantity(raw);
    if (v === undefined || v < 0) { bad({ resource: name, value: String(raw) }); return undefined; }
    return v;
  };
  const cpu = pick('cpu');
  const mem = pick('memory');
  const gpu = pick(GPU_RESOURCE);
  return {
    cpu: cpu === undefined ? undefined : roundTo(cpu, 3),
    memory: mem === undefined ? undefined : roundTo(mem / GIB, 3),
    gpu: gpu === undefined ? undefined : Math.ceil(gpu),
  };
}

function roundTo(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.ceil(v * f - 1e-9) / f;
}

/** Effective pod need: max(sum over app containers, largest init container), per resource. */
export function podTotal(app: ContainerResources[], init: ContainerResources[]): Required<ContainerResources> & { declared: { cpu: boolean; memory: boolean } } {
  const sum = (k: keyof ContainerResources) => app.reduce((a, r) => a + (r[k] ?? 0), 0);
  const max = (k: keyof ContainerResources) => init.reduce((a, r) => Math.max(a, r[k] ?? 0), 0);
  const declared = {
    cpu: [...app, ...init].some((r) => r.cpu !== undefined),
    memory: [...app, ...init].some((r) => r.memory !== undefined),
  };
  return {
    cpu: roundTo(Math.max(sum('cpu'), max('cpu')), 3),
    memory: roundTo(Math.max(sum('memory'), max('memory')), 3),
    gpu: Math.max(sum('gpu'), max('gpu')),
    declared,
  };
}

/** Kubernetes QoS class (pkg/apis/core/v1/helper/qos): Guaranteed, Burstable or BestEffort. */
export function qosClassOf(pod: V1Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let allGuaranteed = true;
  const compute = (name: string) => name === 'cpu' || name === 'memory';
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const [k, v] of Object.entries(req)) {
      if (!compute(k)) continue;
      const n = parseQuantity(v) ?? 0;
      if (n !== 0) requests.set(k, (requests.get(k) ?? 0) + n);
    }
    const limNames = new Set<string>();
    for (const [k, v] of Object.entries(lim)) {
      if (!compute(k)) continue;
      const n = parseQuantity(v) ?? 0;
      if (n !== 0) { limNames.add(k); limits.set(k, (limits.get(k) ?? 0) + n); }
    }
    if (!limNames.has('cpu') || !limNames.has('memory')) allGuaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (allGuaranteed) {
    for (const c of containers) {
      for (const k of ['cpu', 'memory']) {
        const r = c.resources?.requests?.[k];
        const l = c.resources?.limits?.[k];
        // A missing request defaults to the limit; an explicit different request makes the pod Burstable.
        if (r !== undefined && parseQuantity(r) !== parseQuantity(l)) allGuaranteed = false;
      }
    }
  }
  return allGuaranteed ? 'Guaranteed' : 'Burstable';
}
