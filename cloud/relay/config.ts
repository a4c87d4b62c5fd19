// Relay configuration (tenants, agent identities, limits) parsed and validated; every error names the
// offending field. Pure: the text of the (YAML or JSON) file in, a checked RelayConfig out (no I/O).
import { load as loadYaml } from 'js-yaml';
import type { QuotaLimits, TenantConfig, TenantQuotas } from '../pod-provider/provider.js';
import { DEFAULT_ACTION_RATES } from '../eci/rate-limit.js';
import { dnsLabelProblem, parseCertificateIdentities, type IdentityGrant } from './identities.js';
import { parseLimits, type RelayLimits } from './limits.js';
import { parsePolicy } from '../eci/policy/parse.js';
import { parseImageCachesConfig } from '../eci/provider/image-caches.js';
import { FieldError } from '../../common/field-error.js';
import { tagProblem } from '../eci/mapping/names.js';

export { DEFAULT_LIMITS } from './limits.js';

export interface RelayConfig {
  tenants: Record<string, TenantConfig>;
  /** mTLS identity (client cert CN or SAN URI) → the tenant and the cluster ids it may act for. */
  certificateIdentities: Record<string, IdentityGrant>;
  /** JSON file `{ "<sha256 hex of token>": "<tenant>" | { tenant, clusterIds } }`, re-read when it changes. */
  tokenFile?: string;
  limits: RelayLimits;
  readiness: RelayReadinessConfig;
}

/** When /readyz may say ready. */
interface RelayReadinessConfig {
  /**
   * Ready only while at least this many agents hold their status watch. Default 0: a shared relay must be
   * ready for agents to reach it at all; a relay dedicated to one datacenter sets 1 so that its readiness
   * follows its tunnel.
   */
  minAgents: number;
}

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`relay config: ${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(`${path}.${key}`, 'must be a non-empty string');
  return v;
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new ConfigError(path, 'must be an object');
  return v;
}

function stringMap(v: unknown, path: string): Record<string, string> {
  const o = obj(v ?? {}, path);
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== 'string') throw new ConfigError(`${path}.${k}`, 'must be a string');
  }
  return o as Record<string, string>;
}

function positive(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConfigError(path, 'must be a positive number');
  return v;
}

/** `{ Action: perSecond | { perSecond, burst } }` for known ECI actions. */
function eciRates(v: unknown, path: string): TenantConfig['eciRates'] {
  if (v === undefined) return undefined;
  const out: NonNullable<TenantConfig['eciRates']> = {};
  for (const [action, r] of Object.entries(obj(v, path))) {
    if (!(action in DEFAULT_ACTION_RATES)) throw new ConfigError(`${path}.${action}`, `unknown ECI action (known: ${Object.keys(DEFAULT_ACTION_RATES).join(', ')})`);
    if (typeof r === 'number') out[action] = { perSecond: positive(r, `${path}.${action}`) };
    else {
      const o = obj(r, `${path}.${action}`);
      const burst = o.burst === undefined ? undefined : positive(o.burst, `${path}.${action}.burst`);
      if (burst !== undefined && burst < 1) throw new ConfigError(`${path}.${action}.burst`, 'must be at least 1');
      out[action] = { perSecond: positive(o.perSecond, `${path}.${action}.perSecond`), ...(burst === undefined ? {} : { burst }) };
    }
  }
  return out;
}

const QUOTA_KEYS = ['maxPods', 'maxVcpu', 'maxMemoryGiB', 'maxSpendPerHour'] as const;

/** One scope's caps: pods (whole), vCPU, GiB and spend per hour (positive numbers); unknown keys refused. */
function quotaLimits(o: Record<string, unknown>, path: string, extra: string[] = []): QuotaLimits {
  const out: QuotaLimits = {};
  for (const k of Object.keys(o)) if (!(QUOTA_KEYS as readonly string[]).includes(k) && !extra.includes(k)) throw new ConfigError(`${path}.${k}`, `unknown quota (known: ${[...QUOTA_KEYS, ...extra].join(', ')})`);
  for (const k of QUOTA_KEYS) {
    if (o[k] === undefined) continue;
    const n = positive(o[k], `${path}.${k}`);
    if (k === 'maxPods' && !Number.isInteger(n)) throw new ConfigError(`${path}.${k}`, 'must be a whole number of pods');
    out[k] = n;
  }
  return out;
}

/** `tenants.<id>.quotas`: the tenant's caps (maxPods 100 unless set) and `clusters.<clusterId>` caps of its own clusters. */
function tenantQuotas(v: unknown, path: string, clusterIds: string[]): TenantQuotas {
  const o = obj(v ?? {}, path);
  const own = quotaLimits(o, path, ['clusters']);
  const out: TenantQuotas = { ...own, maxPods: own.maxPods ?? 100 };
  if (o.clusters !== undefined) {
    const clusters = obj(o.clusters, `${path}.clusters`);
    out.clusters = {};
    for (const [id, c] of Object.entries(clusters)) {
      if (!clusterIds.includes(id)) throw new ConfigError(`${path}.clusters.${id}`, `not one of this tenant's clusterIds (${clusterIds.join(', ')})`);
      out.clusters[id] = quotaLimits(obj(c, `${path}.clusters.${id}`), `${path}.clusters.${id}`);
    }
  }
  return out;
}

function tenant(id: string, v: unknown): TenantConfig {
  const path = `tenants.${id}`;
  const o = obj(v, path);
  const clusterIds = o.clusterIds;
  if (!Array.isArray(clusterIds) || clusterIds.length === 0 || !clusterIds.every((c) => typeof c === 'string' && c)) {
    throw new ConfigError(`${path}.clusterIds`, 'must be a non-empty array of strings');
  }
  const quotas = tenantQuotas(o.quotas, `${path}.quotas`, clusterIds as string[]);
  let policy;
  try {
    policy = parsePolicy(o.policy, `${path}.policy`);
  } catch (e) {
    if (e instanceof FieldError) throw new ConfigError(e.field, e.problem);
    throw e;
  }
  return {
    id,
    region: str(o, 'region', path),
    credentialsRef: str(o, 'credentialsRef', path),
    vSwitchId: str(o, 'vSwitchId', path),
    securityGroupId: str(o, 'securityGroupId', path),
    tags: stringMap(o.tags, `${path}.tags`),
    quotas,
    policy,
    clusterIds: clusterIds as string[],
    ...(o.eciRates === undefined ? {} : { eciRates: eciRates(o.eciRates, `${path}.eciRates`) }),
    ...(o.egress === undefined ? {} : { egress: tenantEgress(o.egress, `${path}.egress`) }),
    ...(o.imageCaches === undefined ? {} : { imageCaches: tenantImageCaches(o.imageCaches, `${path}.imageCaches`) }),
  };
}

/** `tenants.<id>.imageCaches` (cloud/eci/provider/image-caches.ts): {enabled, maxCaches}. */
function tenantImageCaches(v: unknown, path: string): NonNullable<TenantConfig['imageCaches']> {
  try {
    return parseImageCachesConfig(v, path);
  } catch (e) {
    if (e instanceof FieldError) throw new ConfigError(e.field, e.problem);
    throw e;
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function tenantEgress(v: unknown, path: string): NonNullable<TenantConfig['egress']> {
  const o = obj(v, path);
  const known = ['relayAddress', 'serverName', 'image', 'command', 'clusterDomain', 'upstreamDns'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new ConfigError(`${path}.${k}`, `unknown key (known: ${known.join(', ')})`);
  const relayAddress = str(o, 'relayAddress', path);
  if (!/^[^\s/:]+:\d{1,5}$/.test(relayAddress)) throw new ConfigError(`${path}.relayAddress`, 'must be host:port (the relay\'s egress listener as container groups reach it)');
  const command = o.command;
  if (command !== undefined && (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string' && c))) throw new ConfigError(`${path}.command`, 'must be a non-empty list of strings');
  const clusterDomain = o.clusterDomain === undefined ? 'cluster.local' : str(o, 'clusterDomain', path);
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(clusterDomain)) throw new ConfigError(`${path}.clusterDomain`, 'must be a DNS domain such as cluster.local');
  const upstreamDns = o.upstreamDns === undefined ? ['100.100.2.136', '100.100.2.138'] : o.upstreamDns;
  if (!Array.isArray(upstreamDns) || upstreamDns.length === 0 || upstreamDns.length > 3 || !upstreamDns.every((a) => typeof a === 'string' && IPV4.test(a))) {
    throw new ConfigError(`${path}.upstreamDns`, 'must be 1 to 3 IPv4 resolver addresses (the VPC\'s: 100.100.2.136, 100.100.2.138)');
  }
  return {
    relayAddress,
    ...(o.serverName === undefined ? {} : { serverName: str(o, 'serverName', path) }),
    image: str(o, 'image', path),
    ...(command === undefined ? {} : { command: command as string[] }),
    clusterDomain,
    upstreamDns: upstreamDns as string[],
  };
}

/** Tenant and cluster ids become ECI tag values on every container group, so ECI's rules for those apply. */
function tagValueProblem(id: string): string | undefined {
  const bad = tagProblem('ecigw.io/id', id);
  return bad ? `${JSON.stringify(id)}: ${bad.replace('tag value', 'it is an ECI tag value and')}` : undefined;
}

/** Tag keys under this prefix are the gateway's own (cluster id, pod uid, tenant id…); tenants cannot set them. */
const RESERVED_TAG_PREFIX = 'ecigw.io/';

/**
 * What makes two tenants or two clusters indistinguishable on the relay or in ECI is refused here:
 * ids that are not DNS labels (they could build the same key or the same truncated tag), a cluster id
 * listed twice by one tenant, and tenant tags that would overwrite the gateway's own tags.
 */
function checkDistinguishable(tenants: Record<string, TenantConfig>): void {
  for (const [id, t] of Object.entries(tenants)) {
    const bad = dnsLabelProblem(id) ?? tagValueProblem(id);
    if (bad) throw new ConfigError(`tenants.${id}`, `tenant id ${bad}`);
    const seen = new Set<string>();
    for (const [i, c] of t.clusterIds.entries()) {
      const badCluster = dnsLabelProblem(c) ?? tagValueProblem(c);
      if (badCluster) throw new ConfigError(`tenants.${id}.clusterIds[${i}]`, `cluster id ${badCluster}`);
      if (seen.has(c)) throw new ConfigError(`tenants.${id}.clusterIds[${i}]`, `cluster id ${JSON.stringify(c)} is listed twice`);
      seen.add(c);
    }
    for (const [k, v] of Object.entries(t.tags)) {
      if (k.startsWith(RESERVED_TAG_PREFIX)) throw new ConfigError(`tenants.${id}.tags.${k}`, `tag keys starting with ${RESERVED_TAG_PREFIX} are the gateway's own; choose another key`);
      const tagBad = tagProblem(k, v);
      if (tagBad) throw new ConfigError(`tenants.${id}.tags.${k}`, `${tagBad} (ECI refuses it)`);
    }
  }
}

export function parseRelayConfig(raw: unknown): RelayConfig {
  const root = obj(raw, '(root)');
  const tenantsRaw = obj(root.tenants, 'tenants');
  const tenants: Record<string, TenantConfig> = {};
  for (const [id, t] of Object.entries(tenantsRaw)) tenants[id] = tenant(id, t);
  if (Object.keys(tenants).length === 0) throw new ConfigError('tenants', 'must define at least one tenant');
  checkDistinguishable(tenants);

  let certificateIdentities: Record<string, IdentityGrant>;
  let limits: RelayLimits;
  try {
    certificateIdentities = parseCertificateIdentities(root.certificateIdentities, tenants);
    limits = parseLimits(obj(root.limits ?? {}, 'limits'));
  } catch (e) {
    if (e instanceof FieldError) throw new ConfigError(e.field, e.problem);
    throw e;
  }
  if (root.tokenFile !== undefined && (typeof root.tokenFile !== 'string' || !root.tokenFile)) {
    throw new ConfigError('tokenFile', 'must be a non-empty string (path)');
  }
  return { tenants, certificateIdentities, tokenFile: root.tokenFile, limits, readiness: parseReadiness(root.readiness) };
}

function parseReadiness(raw: unknown): RelayReadinessConfig {
  const r = obj(raw ?? {}, 'readiness');
  for (const k of Object.keys(r)) if (k !== 'minAgents') throw new ConfigError(`readiness.${k}`, 'unknown key (known: minAgents)');
  const minAgents = r.minAgents ?? 0;
  if (typeof minAgents !== 'number' || !Number.isInteger(minAgents) || minAgents < 0 || minAgents > 100_000) {
    throw new ConfigError('readiness.minAgents', 'must be an integer from 0 to 100000 (0: readiness does not wait for agents)');
  }
  return { minAgents };
}

/** The relay's part of a config file (YAML or JSON) that also holds process settings (cli.ts). */
export function relayConfigFromText(text: string, file = '(config)'): RelayConfig {
  let raw: Record<string, unknown>;
  try {
    raw = (loadYaml(text) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError('(file)', `${file}: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('(root)', `${file}: must be a mapping`);
  return parseRelayConfig({ tenants: raw.tenants, certificateIdentities: raw.certificateIdentities ?? {}, tokenFile: raw.tokenFile, limits: raw.limits ?? {}, readiness: raw.readiness });
}
