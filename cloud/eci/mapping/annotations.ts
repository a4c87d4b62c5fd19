// ACK ECI pod annotations (`k8s.aliyun.com/...`) -> CreateContainerGroup top-level settings, each value
// validated (a bad value is an error naming the annotation). Unknown `k8s.aliyun.com/eci-*` keys are warned
// about, never silently dropped. Placement annotations (vSwitch, security group, resource group) override tenant
// defaults; whether the tenant may have what they ask for is the tenant policy's decision (cloud/eci/policy).
import { isSupportedSpec, GIB } from './resources.js';
import { parseQuantity } from '../../../common/quantity.js';
import type { Issues } from './types.js';

const ANNOTATION_PREFIX = 'k8s.aliyun.com/';
export const A = {
  useSpecs: 'k8s.aliyun.com/eci-use-specs',
  spotStrategy: 'k8s.aliyun.com/eci-spot-strategy',
  spotPriceLimit: 'k8s.aliyun.com/eci-spot-price-limit',
  spotDuration: 'k8s.aliyun.com/eci-spot-duration',
  spotFallback: 'k8s.aliyun.com/eci-spot-fallback',
  autoImc: 'k8s.aliyun.com/eci-auto-imc',
  imageCache: 'k8s.aliyun.com/eci-image-cache',
  imcId: 'k8s.aliyun.com/eci-imc-id',
  imageSnapshotId: 'k8s.aliyun.com/eci-image-snapshot-id',
  vswitch: 'k8s.aliyun.com/eci-vswitch',
  scheduleStrategy: 'k8s.aliyun.com/eci-schedule-strategy',
  securityGroup: 'k8s.aliyun.com/eci-security-group',
  withEip: 'k8s.aliyun.com/eci-with-eip',
  eipInstanceId: 'k8s.aliyun.com/eci-eip-instanceid',
  eipBandwidth: 'k8s.aliyun.com/eip-bandwidth',
  eipIsp: 'k8s.aliyun.com/eip-isp',
  eipCommonBandwidthPackage: 'k8s.aliyun.com/eip-common-bandwidth-package',
  ramRoleName: 'k8s.aliyun.com/eci-ram-role-name',
  extraEphemeralStorage: 'k8s.aliyun.com/eci-extra-ephemeral-storage',
  resourceGroupId: 'k8s.aliyun.com/eci-resource-group-id',
  corePattern: 'k8s.aliyun.com/eci-core-pattern',
  ntpServer: 'k8s.aliyun.com/eci-ntp-server',
  containerResourceView: 'k8s.aliyun.com/eci-container-resource-view',
  ingressBandwidth: 'k8s.aliyun.com/ingress-bandwidth',
  egressBandwidth: 'k8s.aliyun.com/egress-bandwidth',
  plainHttpRegistry: 'k8s.aliyun.com/plain-http-registry',
  insecureRegistry: 'k8s.aliyun.com/insecure-registry',
  acrInstanceIds: 'k8s.aliyun.com/acr-instance-ids',
  dataCacheBucket: 'k8s.aliyun.com/eci-data-cache-bucket',
} as const;

/** Annotations ECI itself writes back after scheduling; present on updated pods, never an input. */
const SYSTEM_WRITTEN = new Set(['k8s.aliyun.com/eci-instance-id', 'k8s.aliyun.com/eci-instance-spec', 'k8s.aliyun.com/allocated-eipAddress']);

/** Settings the annotations contribute to the create request (SDK property names). */
export interface AnnotationSettings {
  instanceType?: string;
  /** Parsed vCPU-memory entries of eci-use-specs (no ECS instance type among them). */
  specsOnlyCpuMem?: boolean;
  gpuInstanceType?: boolean;
  spotStrategy?: string;
  spotPriceLimit?: number;
  spotDuration?: number;
  strictSpot?: boolean;
  autoMatchImageCache?: boolean;
  imageSnapshotId?: string;
  vSwitchId?: string;
  scheduleStrategy?: string;
  securityGroupId?: string;
  autoCreateEip?: boolean;
  eipInstanceId?: string;
  eipBandwidth?: number;
  eipISP?: string;
  eipCommonBandwidthPackage?: string;
  ramRoleName?: string;
  ephemeralStorage?: number;
  resourceGroupId?: string;
  corePattern?: string;
  ntpServer?: string[];
  containerResourceView?: boolean;
  ingressBandwidth?: number;
  egressBandwidth?: number;
  plainHttpRegistry?: string;
  insecureRegistry?: string;
  acrInstanceIds?: string[];
  dataCacheBucket?: string;
}

const KNOWN = new Set<string>([...Object.values(A), ...SYSTEM_WRITTEN]);
const SPEC_CPU_MEM = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)Gi$/;
const ECS_TYPE = /^ecs\.[a-z0-9-]+\.[a-z0-9-]+$/;
/** The form of an Alibaba Cloud resource ID with this prefix (`sg`, `vsw`, `rg`, `eip`, ...), as annotations take it. */
export const ID = (prefix: string): RegExp => new RegExp(`^${prefix}-[a-z0-9]{4,64}$`);
/** A RAM role name (`eci-ram-role-name`). */
export const RAM_ROLE_NAME = /^[A-Za-z0-9.-]{1,64}$/;
/** A registry host with an optional port (`plain-http-registry`, `insecure-registry`). */
const REGISTRY_HOST = /^[A-Za-z0-9.-]+(:\d+)?$/;
/** An OSS bucket name (`eci-data-cache-bucket`): 3-63 of a-z, 0-9 and '-', a letter or digit at both ends. */
export const OSS_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** An ACR Enterprise instance ID (`acr-instance-ids`). */
export const ACR_INSTANCE_ID = /^cri-[a-z0-9]+$/;
const BANDWIDTH = /^(\d+)([KMG])$/;

export function parseAnnotations(annotations: Record<string, string> | undefined, issues: Issues): AnnotationSettings {
  const a = annotations ?? {};
  const out: AnnotationSettings = {};
  const field = (key: string) => `metadata.annotations[${key}]`;
  const bad = (key: string, why: string) => issues.error(field(key), `annotation ${key}="${a[key]}" is invalid: ${why}`);
  const has = (key: string) => a[key] !== undefined;
  const bool = (key: string): boolean | undefined => {
    if (!has(key)) return undefined;
    const v = a[key].trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    bad(key, 'expected "true" or "false"');
    return undefined;
  };
  const id = (key: string, prefix: string): string | undefined => {
    if (!has(key)) return undefined;
    const v = a[key].trim();
    if (ID(prefix).test(v)) return v;
    bad(key, `expected an ID like "${prefix}-xxxxxxxx"`);
    return undefined;
  };
  const int = (key: string, min: number, max: number): number | undefined => {
    if (!has(key)) return undefined;
    const v = a[key].trim();
    if (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max) return Number(v);
    bad(key, `expected a whole number from ${min} to ${max}`);
    return undefined;
  };
  const enumOf = (key: string, allowed: readonly string[]): string | undefined => {
    if (!has(key)) return undefined;
    const v = a[key].trim();
    if (allowed.includes(v)) return v;
    bad(key, `expected one of ${allowed.join(', ')}`);
    return undefined;
  };

  if (has(A.useSpecs)) {
    const entries = a[A.useSpecs].split(',').map((s) => s.trim()).filter(Boolean);
    let ok = entries.length > 0 && entries.length <= 5;
    let allCpuMem = true;
    let gpu = false;
    for (const e of entries) {
      const m = SPEC_CPU_MEM.exec(e);
      if (m) {
        if (!isSupportedSpec(Number(m[1]), Number(m[2]))) { ok = false; bad(A.useSpecs, `"${e}" is not a supported ECI vCPU-memory spec (see cloud/eci/mapping/README.md)`); }
      } else if (ECS_TYPE.test(e)) {
        allCpuMem = false;
        if (/^ecs\.(gn|vgn|sgn|ebmgn)/.test(e)) gpu = true;
      } else {
        ok = false;
        bad(A.useSpecs, `"${e}" is neither a "<vCPU>-<memory>Gi" spec (e.g. 2-4Gi) nor an ECS instance type (e.g. ecs.c6.xlarge)`);
      }
    }
    if (entries.length === 0 || entries.length > 5) bad(A.useSpecs, 'list 1 to 5 comma-separated specs, e.g. "2-4Gi,ecs.c6.large"');
    if (ok) { out.instanceType = entries.join(','); out.specsOnlyCpuMem = allCpuMem; out.gpuInstanceType = gpu; }
  }

  out.spotStrategy = enumOf(A.spotStrategy, ['SpotAsPriceGo', 'SpotWithPriceLimit']);
  if (has(A.spotPriceLimit)) {
    const v = Number(a[A.spotPriceLimit]);
    if (/^\d+(\.\d+)?$/.test(a[A.spotPriceLimit].trim()) && v > 0) out.spotPriceLimit = v;
    else bad(A.spotPriceLimit, 'expected a positive hourly price such as "0.25"');
  }
  if (out.spotStrategy === 'SpotWithPriceLimit' && out.spotPriceLimit === undefined && !has(A.spotPriceLimit)) {
    issues.error(field(A.spotPriceLimit), `annotation ${A.spotStrategy}=SpotWithPriceLimit needs ${A.spotPriceLimit} (the highest hourly price you accept)`);
  }
  const strategyInvalid = has(A.spotStrategy) && out.spotStrategy === undefined;
  if (has(A.spotPriceLimit) && out.spotStrategy !== 'SpotWithPriceLimit' && !strategyInvalid) {
    issues.error(field(A.spotPriceLimit), `annotation ${A.spotPriceLimit} only applies with ${A.spotStrategy}=SpotWithPriceLimit; add that annotation or remove the price limit`);
  }
  out.spotDuration = int(A.spotDuration, 0, 1);
  const fallback = bool(A.spotFallback);
  if (fallback !== undefined) out.strictSpot = !fallback;
  if ((out.spotDuration !== undefined || fallback !== undefined) && !has(A.spotStrategy)) {
    issues.warn(`spot annotations (${A.spotDuration}/${A.spotFallback}) have no effect without ${A.spotStrategy}`);
  }

  const autoImc = bool(A.autoImc);
  const imageCache = bool(A.imageCache);
  out.autoMatchImageCache = autoImc ?? imageCache;
  const snapshotKey = has(A.imcId) ? A.imcId : A.imageSnapshotId;
  out.imageSnapshotId = id(snapshotKey, 'imc');
  if (out.imageSnapshotId && out.autoMatchImageCache === true) {
    issues.error(field(snapshotKey), `annotation ${snapshotKey} pins an image cache, which conflicts with automatic matching (${A.autoImc}=true); keep only one`);
  }

  if (has(A.vswitch)) {
    const list = a[A.vswitch].split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length > 0 && list.length <= 10 && list.every((v) => ID('vsw').test(v))) out.vSwitchId = list.join(',');
    else bad(A.vswitch, 'expected 1-10 comma-separated vSwitch IDs like "vsw-aaa,vsw-bbb"');
  }
  out.scheduleStrategy = enumOf(A.scheduleStrategy, ['VSwitchOrdered', 'VSwitchRandom']);
  out.securityGroupId = id(A.securityGroup, 'sg');
  out.autoCreateEip = bool(A.withEip);
  out.eipInstanceId = id(A.eipInstanceId, 'eip');
  if (out.autoCreateEip && out.eipInstanceId) {
    issues.error(field(A.eipInstanceId), `annotations ${A.withEip}=true and ${A.eipInstanceId} conflict: either create a new EIP or bind an existing one`);
  }
  out.eipBandwidth = int(A.eipBandwidth, 1, 500);
  out.eipISP = enumOf(A.eipIsp, ['BGP', 'BGP_PRO']);
  out.eipCommonBandwidthPackage = id(A.eipCommonBandwidthPackage, 'cbwp');
  if ((out.eipBandwidth !== undefined || out.eipISP !== undefined || out.eipCommonBandwidthPackage !== undefined) && !out.autoCreateEip) {
    issues.warn(`EIP bandwidth/ISP annotations only apply when ${A.withEip}="true"`);
  }
  if (has(A.ramRoleName)) {
    const v = a[A.ramRoleName].trim();
    if (RAM_ROLE_NAME.test(v)) out.ramRoleName = v;
    else bad(A.ramRoleName, 'expected a RAM role name of 1-64 letters, digits, "." or "-"');
  }
  if (has(A.extraEphemeralStorage)) {
    const q = parseQuantity(a[A.extraEphemeralStorage]);
    if (q !== undefined && q > 0) out.ephemeralStorage = Math.ceil(q / GIB - 1e-9);
    else bad(A.extraEphemeralStorage, 'expected a size such as "50Gi"');
  }
  out.resourceGroupId = id(A.resourceGroupId, 'rg');
  if (has(A.corePattern)) {
    const v = a[A.corePattern].trim();
    if (v.startsWith('/')) out.corePattern = v;
    else bad(A.corePattern, 'expected an absolute directory path such as "/pod/data/dump/core"');
  }
  if (has(A.ntpServer)) {
    const list = a[A.ntpServer].split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length > 0 && list.every((s) => /^[A-Za-z0-9.:-]+$/.test(s))) out.ntpServer = list;
    else bad(A.ntpServer, 'expected comma-separated NTP server addresses');
  }
  out.containerResourceView = bool(A.containerResourceView);
  for (const [key, prop] of [[A.ingressBandwidth, 'ingressBandwidth'], [A.egressBandwidth, 'egressBandwidth']] as const) {
    if (!has(key)) continue;
    const m = BANDWIDTH.exec(a[key].trim());
    if (m) out[prop] = Number(m[1]) * { K: 1e3, M: 1e6, G: 1e9 }[m[2] as 'K' | 'M' | 'G'];
    else bad(key, 'expected a bandwidth such as "40M" (bits per second with K, M or G)');
  }
  for (const [key, prop] of [[A.plainHttpRegistry, 'plainHttpRegistry'], [A.insecureRegistry, 'insecureRegistry']] as const) {
    if (!has(key)) continue;
    const list = a[key].split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length > 0 && list.every((s) => REGISTRY_HOST.test(s))) out[prop] = list.join(',');
    else bad(key, 'expected comma-separated registry hosts such as "harbor.example.com:5000"');
  }
  if (has(A.acrInstanceIds)) {
    const list = a[A.acrInstanceIds].split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length > 0 && list.every((s) => ACR_INSTANCE_ID.test(s))) out.acrInstanceIds = list;
    else bad(A.acrInstanceIds, 'expected comma-separated ACR Enterprise instance IDs like "cri-xxxxxxxx"');
  }
  if (has(A.dataCacheBucket)) {
    const v = a[A.dataCacheBucket].trim();
    if (OSS_BUCKET.test(v)) out.dataCacheBucket = v;
    else bad(A.dataCacheBucket, 'expected an OSS bucket name (3-63 of a-z, 0-9 and "-")');
  }

  for (const key of Object.keys(a)) {
    if (key.startsWith(ANNOTATION_PREFIX) && !KNOWN.has(key)) {
      issues.warn(`annotation ${key} is not supported by eci-hybrid-gateway and is ignored`);
    }
  }
  return out;
}
