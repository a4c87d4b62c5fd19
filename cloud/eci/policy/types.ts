// The tenant policy: what cloud privileges, exposure and cost a pod of this tenant may ask ECI for through
// its annotations and spec (config `tenants.<id>.policy`). The parsed shape equals the config shape with every
// default filled in. Privileges and exposure are denied unless listed; cost is allowed unless capped.

export const SPOT_STRATEGIES = ['SpotAsPriceGo', 'SpotWithPriceLimit'] as const;
export type SpotStrategy = (typeof SPOT_STRATEGIES)[number];
export const EIP_ISPS = ['BGP', 'BGP_PRO'] as const;
export type EipIsp = (typeof EIP_ISPS)[number];
export { FLEX_DRIVERS as FLEX_VOLUME_DRIVERS } from '../mapping/volumes.js';

export interface TenantPolicy {
  /** RAM roles a pod may run as (`eci-ram-role-name`; its STS credentials are in the pod's metadata service). */
  ramRoles: string[];
  /** Security groups besides the tenant's own `securityGroupId` (`eci-security-group`). */
  securityGroups: string[];
  /** vSwitches besides the tenant's own `vSwitchId` list (`eci-vswitch`). */
  vSwitches: string[];
  /** Resource groups (`eci-resource-group-id`). */
  resourceGroups: string[];
  /** Entries of `eci-use-specs` allowed (`2-4Gi`, `ecs.c6.large`, wildcards such as `ecs.c6.*`); absent = any. */
  instanceTypes?: string[];
  /** Most vCPU one pod (container group) may get; absent = no cap. */
  maxPodCpu?: number;
  /** Most memory (GiB) one pod may get; absent = no cap. */
  maxPodMemoryGiB?: number;
  /** Most extra ephemeral storage (GiB, `eci-extra-ephemeral-storage`); absent = no cap. */
  maxEphemeralStorageGiB?: number;
  spot: {
    /** Spot strategies allowed (`eci-spot-strategy`); pay-as-you-go (no annotation) is always allowed. */
    strategies: SpotStrategy[];
    /** Highest hourly price `eci-spot-price-limit` may name; absent = no cap. */
    maxPriceLimit?: number;
  };
  eip: {
    /** A new public IP per pod (`eci-with-eip`). */
    create: boolean;
    /** Existing EIPs a pod may bind (`eci-eip-instanceid`). */
    instanceIds: string[];
    /** Shared bandwidth packages (`eip-common-bandwidth-package`). */
    commonBandwidthPackages: string[];
    /** Highest `eip-bandwidth` (Mbps); absent = no cap. ECI's default when the annotation is absent is 5. */
    maxBandwidthMbps?: number;
    /** Line types (`eip-isp`). */
    isps: EipIsp[];
  };
  /** OSS buckets of data caches (`eci-data-cache-bucket`). */
  dataCacheBuckets: string[];
  /** Image caches a pod may pin (`eci-imc-id` / `eci-image-snapshot-id`); automatic matching is always allowed. */
  imageCaches: string[];
  /** ACR Enterprise instances pulled from without credentials (`acr-instance-ids`). */
  acrInstances: string[];
  /** Registry hosts images (and plain-http/insecure registries) may come from (`*.example.com` allowed); absent = any. */
  imageRegistries?: string[];
  /** FlexVolume drivers (each mounts the account's disks, NAS or OSS by id). */
  flexVolumeDrivers: string[];
}

/** Everything that grants a privilege or exposure is denied; cost is not capped. */
export function defaultPolicy(): TenantPolicy {
  return {
    ramRoles: [],
    securityGroups: [],
    vSwitches: [],
    resourceGroups: [],
    spot: { strategies: [...SPOT_STRATEGIES] },
    eip: { create: false, instanceIds: [], commonBandwidthPackages: [], isps: ['BGP'] },
    dataCacheBuckets: [],
    imageCaches: [],
    acrInstances: [],
    flexVolumeDrivers: [],
  };
}

/** ECI's own group size when a request names neither Cpu/Memory nor an InstanceType (2 vCPU, 4 GiB). */
export const ECI_DEFAULT_GROUP = { cpu: 2, memory: 4 } as const;
/** ECI's EIP bandwidth when AutoCreateEip is set without EipBandwidth (Mbps). */
export const ECI_DEFAULT_EIP_BANDWIDTH = 5;
