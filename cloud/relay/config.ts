// Relay configuration (tenants, agent identities, limits) parsed from JSON and validated; every
// error names the offending field. Pure: no I/O except `loadRelayConfig`, which reads the file.
import { readFileSync } from 'node:fs';
import type { TenantConfig } from '../provider/provider.js';
import { DEFAULT_ACTION_RATES } from '../eci/rate-limit.js';

export interface RelayLimits {
  /** Largest gRPC message accepted or sent (bytes). */
  maxMessageBytes: number;
  /** HTTP/2 concurrent streams per connection. */
  maxConcurrentStreams: number;
  /** Open sessions (exec/attach/logs/port-forward/watch) per agent identity. */
  maxSessionsPerAgent: number;
  /** Request rate per agent identity (token bucket refill per second) and burst size. */
  requestsPerSecond: number;
  burst: number;
  /** First session message must arrive within this (ms). */
  startTimeoutMs: number;
  /** A send blocked by a reader that does not read ends the session after this (ms). */
  sendTimeoutMs: number;
  /** A session with no traffic in either direction ends after this (ms). */
  idleTimeoutMs: number;
  /** Status watch bookmark interval (ms) and per-scope delta history kept for resumes. */
  bookmarkIntervalMs: number;
  statusHistory: number;
}

export interface RelayConfig {
  tenants: Record<string, TenantConfig>;
  /** mTLS identity (client cert CN or SAN URI) → tenant id. */
  certificateIdentities: Record<string, string>;
  /** JSON file `{ "<sha256 hex of token>": "<tenant id>" }`, re-read when it changes. */
  tokenFile?: string;
  limits: RelayLimits;
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxConcurrentStreams: 256,
  maxSessionsPerAgent: 200,
  requestsPerSecond: 500,
  burst: 1000,
  startTimeoutMs: 10_000,
  sendTimeoutMs: 30_000,
  idleTimeoutMs: 4 * 3600_000,
  bookmarkIntervalMs: 10_000,
  statusHistory: 4096,
};

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

function tenant(id: string, v: unknown): TenantConfig {
  const path = `tenants.${id}`;
  const o = obj(v, path);
  const quotas = obj(o.quotas ?? { maxPods: 100 }, `${path}.quotas`);
  const clusterIds = o.clusterIds;
  if (!Array.isArray(clusterIds) || clusterIds.length === 0 || !clusterIds.every((c) => typeof c === 'string' && c)) {
    throw new ConfigError(`${path}.clusterIds`, 'must be a non-empty array of strings');
  }
  return {
    id,
    region: str(o, 'region', path),
    credentialsRef: str(o, 'credentialsRef', path),
    vSwitchId: str(o, 'vSwitchId', path),
    securityGroupId: str(o, 'securityGroupId', path),
    tags: stringMap(o.tags, `${path}.tags`),
    quotas: { maxPods: positive(quotas.maxPods, `${path}.quotas.maxPods`) },
    clusterIds: clusterIds as string[],
    ...(o.eciRates === undefined ? {} : { eciRates: eciRates(o.eciRates, `${path}.eciRates`) }),
  };
}

export function parseRelayConfig(raw: unknown): RelayConfig {
  const root = obj(raw, '(root)');
  const tenantsRaw = obj(root.tenants, 'tenants');
  const tenants: Record<string, TenantConfig> = {};
  for (const [id, t] of Object.entries(tenantsRaw)) tenants[id] = tenant(id, t);
  if (Object.keys(tenants).length === 0) throw new ConfigError('tenants', 'must define at least one tenant');

  const certificateIdentities = stringMap(root.certificateIdentities, 'certificateIdentities');
  for (const [who, t] of Object.entries(certificateIdentities)) {
    if (!tenants[t]) throw new ConfigError(`certificateIdentities.${who}`, `unknown tenant ${JSON.stringify(t)}`);
  }
  if (root.tokenFile !== undefined && (typeof root.tokenFile !== 'string' || !root.tokenFile)) {
    throw new ConfigError('tokenFile', 'must be a non-empty string (path)');
  }

  const limitsRaw = obj(root.limits ?? {}, 'limits');
  const limits: RelayLimits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(limitsRaw)) {
    if (!(k in DEFAULT_LIMITS)) throw new ConfigError(`limits.${k}`, `unknown limit (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    limits[k as keyof RelayLimits] = positive(v, `limits.${k}`);
  }
  return { tenants, certificateIdentities, tokenFile: root.tokenFile as string | undefined, limits };
}

export function loadRelayConfig(file: string): RelayConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('(file)', `${file}: ${(e as Error).message}`);
  }
  return parseRelayConfig(raw);
}
