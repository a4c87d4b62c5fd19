// Parser of `tenants.<id>.policy`: validates every key and value against what the annotations accept, rejects
// unknown keys (a misspelt key would otherwise silently keep a default), fills the defaults (defaultPolicy) and
// throws FieldError naming the field and the fix. Pure.
import { ACR_INSTANCE_ID, ID, OSS_BUCKET, RAM_ROLE_NAME } from '../mapping/annotations.js';
import { EIP_ISPS, FLEX_VOLUME_DRIVERS, SPOT_STRATEGIES, defaultPolicy, type EipIsp, type SpotStrategy, type TenantPolicy } from './types.js';
import { FieldError } from '../../../common/field-error.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A registry host[:port], optionally `*.`-prefixed (any sub-domain), or `*` (any registry). */
const REGISTRY_PATTERN = /^(\*|(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\d{1,5})?)$/;
/** An `eci-use-specs` entry or a wildcard pattern of them (`2-4Gi`, `ecs.c6.large`, `ecs.c6.*`, `*`). */
const INSTANCE_TYPE_PATTERN = /^[A-Za-z0-9.*-]{1,64}$/;

/** Every key of a policy, and of its `spot` and `eip` sections (the chart's schema lists the same). */
export const POLICY_KEYS = ['ramRoles', 'securityGroups', 'vSwitches', 'resourceGroups', 'instanceTypes', 'maxPodCpu', 'maxPodMemoryGiB', 'maxEphemeralStorageGiB', 'spot', 'eip', 'dataCacheBuckets', 'imageCaches', 'acrInstances', 'imageRegistries', 'flexVolumeDrivers'] as const;
export const POLICY_SPOT_KEYS = ['strategies', 'maxPriceLimit'] as const;
export const POLICY_EIP_KEYS = ['create', 'instanceIds', 'commonBandwidthPackages', 'maxBandwidthMbps', 'isps'] as const;

function knownKeys(o: Obj, known: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new FieldError(`${path}.${k}`, `unknown policy key (known: ${known.join(', ')})`);
  }
}

function section(v: unknown, path: string): Obj {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new FieldError(path, 'must be a mapping');
  return v;
}

function list(v: unknown, path: string, check: (s: string) => boolean, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new FieldError(path, `must be a list of ${what}`);
  return v.map((item, i) => {
    if (typeof item !== 'string' || !check(item)) throw new FieldError(`${path}[${i}]`, `${JSON.stringify(item)} is not ${what}`);
    return item;
  });
}

const ids = (v: unknown, path: string, prefix: string) => list(v, path, (s) => ID(prefix).test(s), `an ID like "${prefix}-xxxxxxxx"`);

function oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T[] | undefined {
  return list(v, path, (s) => (allowed as readonly string[]).includes(s), `one of ${allowed.join(', ')}`) as T[] | undefined;
}

function positive(v: unknown, path: string, opts: { integer?: boolean; max?: number } = {}): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ok = typeof v === 'number' && Number.isFinite(v) && v > 0 && (!opts.integer || Number.isInteger(v)) && (opts.max === undefined || v <= opts.max);
  if (!ok) throw new FieldError(path, `must be a positive ${opts.integer ? 'whole ' : ''}number${opts.max === undefined ? '' : ` up to ${opts.max}`}`);
  return v;
}

function bool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new FieldError(path, 'must be true or false');
  return v;
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** `tenants.<id>.policy` (path names it in errors) → the full policy with defaults. */
export function parsePolicy(raw: unknown, path: string): TenantPolicy {
  const o = section(raw, path);
  knownKeys(o, POLICY_KEYS, path);
  const d = defaultPolicy();
  const spot = section(o.spot, `${path}.spot`);
  knownKeys(spot, POLICY_SPOT_KEYS, `${path}.spot`);
  const eip = section(o.eip, `${path}.eip`);
  knownKeys(eip, POLICY_EIP_KEYS, `${path}.eip`);
  return defined({
    ramRoles: list(o.ramRoles, `${path}.ramRoles`, (s) => RAM_ROLE_NAME.test(s), 'a RAM role name (1-64 letters, digits, "." or "-")') ?? d.ramRoles,
    securityGroups: ids(o.securityGroups, `${path}.securityGroups`, 'sg') ?? d.securityGroups,
    vSwitches: ids(o.vSwitches, `${path}.vSwitches`, 'vsw') ?? d.vSwitches,
    resourceGroups: ids(o.resourceGroups, `${path}.resourceGroups`, 'rg') ?? d.resourceGroups,
    instanceTypes: list(o.instanceTypes, `${path}.instanceTypes`, (s) => INSTANCE_TYPE_PATTERN.test(s), 'an eci-use-specs entry or pattern such as "2-4Gi", "ecs.c6.large" or "ecs.c6.*"'),
    maxPodCpu: positive(o.maxPodCpu, `${path}.maxPodCpu`),
    maxPodMemoryGiB: positive(o.maxPodMemoryGiB, `${path}.maxPodMemoryGiB`),
    maxEphemeralStorageGiB: positive(o.maxEphemeralStorageGiB, `${path}.maxEphemeralStorageGiB`, { integer: true }),
    spot: defined({
      strategies: oneOf<SpotStrategy>(spot.strategies, `${path}.spot.strategies`, SPOT_STRATEGIES) ?? d.spot.strategies,
      maxPriceLimit: positive(spot.maxPriceLimit, `${path}.spot.maxPriceLimit`),
    }),
    eip: defined({
      create: bool(eip.create, `${path}.eip.create`) ?? d.eip.create,
      instanceIds: ids(eip.instanceIds, `${path}.eip.instanceIds`, 'eip') ?? d.eip.instanceIds,
      commonBandwidthPackages: ids(eip.commonBandwidthPackages, `${path}.eip.commonBandwidthPackages`, 'cbwp') ?? d.eip.commonBandwidthPackages,
      maxBandwidthMbps: positive(eip.maxBandwidthMbps, `${path}.eip.maxBandwidthMbps`, { integer: true, max: 500 }),
      isps: oneOf<EipIsp>(eip.isps, `${path}.eip.isps`, EIP_ISPS) ?? d.eip.isps,
    }),
    dataCacheBuckets: list(o.dataCacheBuckets, `${path}.dataCacheBuckets`, (s) => OSS_BUCKET.test(s), 'an OSS bucket name') ?? d.dataCacheBuckets,
    imageCaches: ids(o.imageCaches, `${path}.imageCaches`, 'imc') ?? d.imageCaches,
    acrInstances: list(o.acrInstances, `${path}.acrInstances`, (s) => ACR_INSTANCE_ID.test(s), 'an ACR Enterprise instance ID like "cri-xxxxxxxx"') ?? d.acrInstances,
    imageRegistries: list(o.imageRegistries, `${path}.imageRegistries`, (s) => REGISTRY_PATTERN.test(s), 'a registry host[:port], "*.<domain>" or "*"'),
    flexVolumeDrivers: oneOf(o.flexVolumeDrivers, `${path}.flexVolumeDrivers`, FLEX_VOLUME_DRIVERS) ?? d.flexVolumeDrivers,
  });
}
