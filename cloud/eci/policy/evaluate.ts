// Evaluation of the tenant policy on what would reach ECI: the mapped CreateContainerGroup request (so nothing the
// mapping sets escapes the check) plus the pod's annotations (to name the one the pod author wrote). Returns every
// denial at once, each naming the annotation or field, the policy key and the fix. Update requests are checked for
// their images. Pure and table-tested (test/cloud/eci/policy).
import type * as $Eci from '@alicloud/eci20180808';
import { A } from '../mapping/annotations.js';
import { registryAllowed, registryOf, wildcardMatch } from './match.js';
import { ECI_DEFAULT_EIP_BANDWIDTH, ECI_DEFAULT_GROUP, type TenantPolicy } from './types.js';

export interface PolicyContext {
  tenantId: string;
  policy: TenantPolicy;
  /** The tenant's own placement (its config), always allowed. */
  own: { vSwitchIds: readonly string[]; securityGroupId?: string };
}

interface PolicyDenial {
  /** Where the pod asked: `metadata.annotations[<key>]` or a spec path. */
  field: string;
  /** The policy key that decided, e.g. `ramRoles` or `eip.create`. */
  policyKey: string;
  message: string;
}

const SPEC_CPU_MEM = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)Gi$/;
/** Values the pod author wrote are echoed in the pod's status and an Event: at most this many characters of each. */
const MAX_ECHOED = 128;

/** JSON-quoted (control characters escaped) and bounded. */
function quoted(v: string): string {
  return JSON.stringify(v.length > MAX_ECHOED ? `${v.slice(0, MAX_ECHOED)}…` : v);
}

class Verdict {
  readonly denials: PolicyDenial[] = [];
  constructor(
    private readonly ctx: PolicyContext,
    private readonly annotations: Record<string, string>,
  ) {}

  private key(policyKey: string): string {
    return `tenants.${this.ctx.tenantId}.policy.${policyKey}`;
  }

  /** How the pod asked: the annotation with its raw value when there is one. */
  private asked(annotation: string, value: unknown): string {
    const raw = this.annotations[annotation] ?? String(value);
    return `annotation ${annotation}=${quoted(raw)}`;
  }

  notListed(annotation: string, value: unknown, policyKey: string, allowed: readonly string[], detail = ''): void {
    const shown = allowed.length ? allowed.join(', ') : 'none';
    this.denials.push({
      field: `metadata.annotations[${annotation}]`,
      policyKey,
      message: `${this.asked(annotation, value)}${detail} is not allowed by tenant "${this.ctx.tenantId}" policy ${policyKey} (allowed: ${shown}); ask the cloud account owner to add it to ${this.key(policyKey)}`,
    });
  }

  switchedOff(annotation: string, value: unknown, policyKey: string): void {
    this.denials.push({
      field: `metadata.annotations[${annotation}]`,
      policyKey,
      message: `${this.asked(annotation, value)} is not allowed by tenant "${this.ctx.tenantId}" policy ${policyKey} (false); remove it, or ask the cloud account owner to set ${this.key(policyKey)}: true`,
    });
  }

  overCap(field: string, what: string, policyKey: string, cap: number, unit: string): void {
    this.denials.push({
      field,
      policyKey,
      message: `${what} exceeds tenant "${this.ctx.tenantId}" policy ${policyKey} (${cap}${unit}); lower it, or ask the cloud account owner to raise ${this.key(policyKey)}`,
    });
  }

  other(field: string, what: string, policyKey: string, allowed: readonly string[]): void {
    const shown = allowed.length ? allowed.join(', ') : 'none';
    this.denials.push({
      field,
      policyKey,
      message: `${what} is not allowed by tenant "${this.ctx.tenantId}" policy ${policyKey} (allowed: ${shown}); ask the cloud account owner to add it to ${this.key(policyKey)}`,
    });
  }

  annotationField(annotation: string): string {
    return `metadata.annotations[${annotation}]`;
  }

  askedText(annotation: string, value: unknown): string {
    return this.asked(annotation, value);
  }
}

type Image = { name?: string; image?: string };

function checkImages(v: Verdict, policy: TenantPolicy, groups: Array<[string, Image[] | undefined]>): void {
  const allowed = policy.imageRegistries;
  if (!allowed) return;
  for (const [kind, list] of groups) {
    (list ?? []).forEach((c, i) => {
      const registry = registryOf(c.image ?? '');
      if (!registryAllowed(registry, allowed)) {
        v.other(`spec.${kind}[${i}].image`, `image ${quoted(c.image ?? '')} of ${kind} ${quoted(c.name ?? '')} (registry ${quoted(registry)})`, 'imageRegistries', allowed);
      }
    });
  }
}

function checkPlacement(v: Verdict, ctx: PolicyContext, r: $Eci.CreateContainerGroupRequest): void {
  const p = ctx.policy;
  if (r.securityGroupId && r.securityGroupId !== ctx.own.securityGroupId && !p.securityGroups.includes(r.securityGroupId)) {
    v.notListed(A.securityGroup, r.securityGroupId, 'securityGroups', [...(ctx.own.securityGroupId ? [`${ctx.own.securityGroupId} (the tenant's own)`] : []), ...p.securityGroups]);
  }
  if (r.vSwitchId) {
    const asked = r.vSwitchId.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = asked.filter((s) => !ctx.own.vSwitchIds.includes(s) && !p.vSwitches.includes(s));
    if (bad.length) {
      const own = ctx.own.vSwitchIds.map((s) => `${s} (the tenant's own)`);
      v.notListed(A.vswitch, r.vSwitchId, 'vSwitches', [...own, ...p.vSwitches], asked.length > 1 ? ` (${bad.join(', ')})` : '');
    }
  }
  if (r.resourceGroupId && !p.resourceGroups.includes(r.resourceGroupId)) v.notListed(A.resourceGroupId, r.resourceGroupId, 'resourceGroups', p.resourceGroups);
}

function checkIdentityAndData(v: Verdict, ctx: PolicyContext, r: $Eci.CreateContainerGroupRequest, annotations: Record<string, string>): void {
  const p = ctx.policy;
  if (r.ramRoleName && !p.ramRoles.includes(r.ramRoleName)) v.notListed(A.ramRoleName, r.ramRoleName, 'ramRoles', p.ramRoles);
  if (r.dataCacheBucket && !p.dataCacheBuckets.includes(r.dataCacheBucket)) v.notListed(A.dataCacheBucket, r.dataCacheBucket, 'dataCacheBuckets', p.dataCacheBuckets);
  if (r.imageSnapshotId && !p.imageCaches.includes(r.imageSnapshotId)) {
    v.notListed(annotations[A.imcId] !== undefined ? A.imcId : A.imageSnapshotId, r.imageSnapshotId, 'imageCaches', p.imageCaches);
  }
  const acr = (r.acrRegistryInfo ?? []).map((x) => x.instanceId ?? '');
  const badAcr = acr.filter((id) => !p.acrInstances.includes(id));
  if (badAcr.length) v.notListed(A.acrInstanceIds, acr.join(','), 'acrInstances', p.acrInstances, acr.length > 1 ? ` (${badAcr.join(', ')})` : '');
  (r.volume ?? []).forEach((vol) => {
    const driver = vol.flexVolume?.driver;
    if (vol.type === 'FlexVolume' && driver !== undefined && !p.flexVolumeDrivers.includes(driver)) {
      v.other(`spec.volumes[${vol.name}].flexVolume.driver`, `volume "${vol.name}" with flexVolume driver ${driver}`, 'flexVolumeDrivers', p.flexVolumeDrivers);
    }
  });
  if (p.imageRegistries) {
    for (const [annotation, hosts] of [[A.plainHttpRegistry, r.plainHttpRegistry], [A.insecureRegistry, r.insecureRegistry]] as const) {
      const bad = (hosts ?? '').split(',').map((s) => s.trim()).filter((h) => h && !registryAllowed(h, p.imageRegistries!));
      if (bad.length) v.notListed(annotation, hosts, 'imageRegistries', p.imageRegistries, ` (${bad.join(', ')})`);
    }
  }
}

function checkExposure(v: Verdict, ctx: PolicyContext, r: $Eci.CreateContainerGroupRequest): void {
  const eip = ctx.policy.eip;
  if (r.autoCreateEip) {
    if (!eip.create) v.switchedOff(A.withEip, r.autoCreateEip, 'eip.create');
    const bandwidth = r.eipBandwidth ?? ECI_DEFAULT_EIP_BANDWIDTH;
    if (eip.maxBandwidthMbps !== undefined && bandwidth > eip.maxBandwidthMbps) {
      const what = r.eipBandwidth !== undefined ? v.askedText(A.eipBandwidth, r.eipBandwidth) : `the EIP's default bandwidth (${ECI_DEFAULT_EIP_BANDWIDTH} Mbps)`;
      v.overCap(v.annotationField(A.eipBandwidth), what, 'eip.maxBandwidthMbps', eip.maxBandwidthMbps, ' Mbps');
    }
    const isp = r.eipISP ?? 'BGP';
    if (!(eip.isps as string[]).includes(isp)) v.notListed(A.eipIsp, isp, 'eip.isps', eip.isps);
  }
  if (r.eipInstanceId && !eip.instanceIds.includes(r.eipInstanceId)) v.notListed(A.eipInstanceId, r.eipInstanceId, 'eip.instanceIds', eip.instanceIds);
  if (r.eipCommonBandwidthPackage && !eip.commonBandwidthPackages.includes(r.eipCommonBandwidthPackage)) {
    v.notListed(A.eipCommonBandwidthPackage, r.eipCommonBandwidthPackage, 'eip.commonBandwidthPackages', eip.commonBandwidthPackages);
  }
}

function checkCost(v: Verdict, ctx: PolicyContext, r: $Eci.CreateContainerGroupRequest): void {
  const p = ctx.policy;
  const spot = r.spotStrategy;
  if (spot && spot !== 'NoSpot' && !(p.spot.strategies as string[]).includes(spot)) v.notListed(A.spotStrategy, spot, 'spot.strategies', p.spot.strategies);
  if (r.spotPriceLimit !== undefined && p.spot.maxPriceLimit !== undefined && r.spotPriceLimit > p.spot.maxPriceLimit) {
    v.overCap(v.annotationField(A.spotPriceLimit), v.askedText(A.spotPriceLimit, r.spotPriceLimit), 'spot.maxPriceLimit', p.spot.maxPriceLimit, ' per hour');
  }
  if (r.ephemeralStorage !== undefined && p.maxEphemeralStorageGiB !== undefined && r.ephemeralStorage > p.maxEphemeralStorageGiB) {
    v.overCap(v.annotationField(A.extraEphemeralStorage), `${v.askedText(A.extraEphemeralStorage, r.ephemeralStorage)} (${r.ephemeralStorage} GiB)`, 'maxEphemeralStorageGiB', p.maxEphemeralStorageGiB, ' GiB');
  }
  const capped = p.maxPodCpu !== undefined || p.maxPodMemoryGiB !== undefined;
  const size = (cpu: number, memory: number, field: string, what: string) => {
    if (p.maxPodCpu !== undefined && cpu > p.maxPodCpu) v.overCap(field, `${what} (${cpu} vCPU)`, 'maxPodCpu', p.maxPodCpu, ' vCPU');
    if (p.maxPodMemoryGiB !== undefined && memory > p.maxPodMemoryGiB) v.overCap(field, `${what} (${memory} GiB)`, 'maxPodMemoryGiB', p.maxPodMemoryGiB, ' GiB');
  };
  if (r.instanceType) {
    const field = v.annotationField(A.useSpecs);
    for (const entry of r.instanceType.split(',').map((s) => s.trim()).filter(Boolean)) {
      const listed = p.instanceTypes?.some((pat) => wildcardMatch(entry, pat));
      if (p.instanceTypes && !listed) {
        v.notListed(A.useSpecs, r.instanceType, 'instanceTypes', p.instanceTypes, r.instanceType.includes(',') ? ` (${entry})` : '');
        continue;
      }
      const m = SPEC_CPU_MEM.exec(entry);
      if (m) size(Number(m[1]), Number(m[2]), field, `${v.askedText(A.useSpecs, r.instanceType)} spec ${entry}`);
      else if (capped && !listed) {
        v.other(field, `ECS instance type ${entry} in ${v.askedText(A.useSpecs, r.instanceType)} (its size is unknown to the relay, which caps pods with maxPodCpu/maxPodMemoryGiB)`, 'instanceTypes', p.instanceTypes ?? []);
      }
    }
    return;
  }
  size(r.cpu ?? ECI_DEFAULT_GROUP.cpu, r.memory ?? ECI_DEFAULT_GROUP.memory, 'spec.containers[].resources', 'the pod\'s size from its containers\' resources');
}

/** Every denial of a create request (empty = allowed). */
export function evaluateCreate(ctx: PolicyContext, request: $Eci.CreateContainerGroupRequest, annotations: Record<string, string> | undefined): PolicyDenial[] {
  const a = annotations ?? {};
  const v = new Verdict(ctx, a);
  checkPlacement(v, ctx, request);
  checkIdentityAndData(v, ctx, request, a);
  checkExposure(v, ctx, request);
  checkCost(v, ctx, request);
  checkImages(v, ctx.policy, [['containers', request.container], ['initContainers', request.initContainer]]);
  return v.denials;
}

/** Every denial of an update request: only its images can change. */
export function evaluateUpdate(ctx: PolicyContext, request: $Eci.UpdateContainerGroupRequest): PolicyDenial[] {
  const v = new Verdict(ctx, {});
  checkImages(v, ctx.policy, [['containers', request.container], ['initContainers', request.initContainer]]);
  return v.denials;
}

/** One readable message for a pod's Failed status and Warning event. */
export function denialMessage(denials: readonly PolicyDenial[]): string {
  return denials.map((d) => d.message).join('; ');
}
