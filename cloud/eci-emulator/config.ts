// Emulator configuration: defaults, deep merge of partial overrides (file, env, CLI, admin API) and validation
// that names the offending field. Pure: reading files and env lives in the CLI.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECI_PUBLISHED_LIMITS } from '../eci/published-limits.js';

export const ACTIONS = [
  'CreateContainerGroup',
  'DescribeContainerGroups',
  'DescribeContainerGroupStatus',
  'DescribeContainerGroupEvents',
  'DeleteContainerGroup',
  'UpdateContainerGroup',
  'RestartContainerGroup',
  'ExecContainerCommand',
  'DescribeContainerLog',
  'DescribeContainerGroupMetric',
  'DescribeMultiContainerGroupMetric',
  'CreateImageCache',
  'DescribeImageCaches',
  'DeleteImageCache',
  'DescribeContainerGroupPrice',
] as const;
export type ActionName = (typeof ACTIONS)[number];

export interface ActionFault {
  /** Fraction (0..1) of calls answered with an injected 5xx. */
  errorRate?: number;
  /** Status used for injected errors: 500 InternalError or 503 ServiceUnavailable. */
  errorStatus?: 500 | 503;
  /** Fraction of calls held for `timeoutMs` and then dropped (the SDK sees a read timeout). */
  timeoutRate?: number;
  timeoutMs?: number;
  /** Fraction of calls whose connection is reset without an answer. */
  resetRate?: number;
}

/**
 * One token bucket of `rateLimits`: `burst` calls at once, refilled continuously at `perSecond` or `perMinute`
 * (exactly one of them; 0 = no limit). An entry named after an action serves that action; an entry with `actions`
 * is a bucket those actions share (its name is free). An action's own entry takes it out of a shared bucket.
 */
export interface RateLimit {
  actions?: string[];
  perSecond?: number;
  perMinute?: number;
  /** Bucket size; default one interval's worth (a second of `perSecond`, a minute of `perMinute`). */
  burst?: number;
}

export interface StockOutConfig {
  /** Specs that are out of stock: "2-4Gi" (cpu-memoryGi), an InstanceType such as "ecs.c6.xlarge", or "*". */
  specs: string[];
  code: string;
  httpStatus: number;
}

/** A temporary (STS) AccessKey: accepted only with its security token, and only until it expires. */
interface StsKey {
  accessKeySecret: string;
  securityToken: string;
  /** ISO 8601 time after which the key is refused (`InvalidSecurityToken.Expired`). */
  expiration: string;
}

/** Most STS keys remembered at once (a test's token issuer adds one per rotation). */
const MAX_STS_KEYS = 1000;

export interface EmulatorConfig {
  regions: string[];
  /**
   * Token buckets per AccessKey (see RateLimit). A bare number is requests per second for the action it is named
   * after, with a burst of one second's worth; 0 disables the limit. An override replaces entries whole; null removes one.
   */
  rateLimits: Record<string, number | RateLimit>;
  rateLimitsEnabled: boolean;
  faults: Record<string, ActionFault>;
  createLatency: { schedulingMs: number; pendingMs: number };
  stockOut: StockOutConfig;
  /** Maximum number of container groups that exist at once (all regions); 0 = unlimited. */
  maxGroups: number;
  retention: { terminalKeepMs: number; keepNewestPerRegion: number; sweepIntervalMs: number };
  backoff: { initialMs: number; maxMs: number; resetAfterMs: number };
  logs: { maxBytesPerContainer: number; defaultTail: number };
  grace: { defaultSeconds: number; maxSeconds: number };
  signature: { verify: boolean; maxSkewSeconds: number };
  ipPool: string;
  dataDir: string;
  execTokenTtlMs: number;
  maxEventsPerGroup: number;
  /** Temporary AccessKeys by AccessKeyId, e.g. registered by a test's STS issuer through `admin.configure`. */
  stsKeys: Record<string, StsKey>;
}

/**
 * Defaults. Rate limits: ECI's published figures where it publishes one (Create and Delete share a bucket of 100
 * refilled at 20/s; Exec and DescribeContainerLog 500/min); the rest are the emulator's choice (per second, burst
 * one second's worth).
 */
export function defaultConfig(): EmulatorConfig {
  const published = Object.entries(ECI_PUBLISHED_LIMITS).map(([name, l]): [string, RateLimit] => [name, { ...l, actions: [...l.actions] }]);
  return {
    regions: ['cn-hangzhou'],
    rateLimits: {
      ...Object.fromEntries(published),
      UpdateContainerGroup: 50,
      RestartContainerGroup: 50,
      DescribeContainerGroups: 200,
      DescribeContainerGroupStatus: 200,
      DescribeContainerGroupEvents: 100,
      DescribeContainerGroupMetric: 100,
      DescribeMultiContainerGroupMetric: 100,
      DescribeImageCaches: 50,
      DeleteImageCache: 50,
    },
    rateLimitsEnabled: true,
    faults: {},
    createLatency: { schedulingMs: 100, pendingMs: 0 },
    stockOut: { specs: [], code: 'RecommendEmpty.InstanceTypeNoStock', httpStatus: 400 },
    maxGroups: 0,
    retention: { terminalKeepMs: 3_600_000, keepNewestPerRegion: 100, sweepIntervalMs: 60_000 },
    backoff: { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 },
    logs: { maxBytesPerContainer: 1 << 20, defaultTail: 0 },
    grace: { defaultSeconds: 30, maxSeconds: 30 },
    signature: { verify: true, maxSkewSeconds: 900 },
    ipPool: '127.10.0.0/16',
    dataDir: join(tmpdir(), `eci-emulator-${process.pid}`),
    execTokenTtlMs: 30_000,
    maxEventsPerGroup: 200,
    stsKeys: {},
  };
}

export class ConfigError extends Error {
  constructor(readonly field: string, message: string) {
    super(`invalid config field "${field}": ${message}`);
    this.name = 'ConfigError';
  }
}

type Plain = Record<string, unknown>;
/** A JSON object (not null, not an array): what every settings section of the emulator must be. */
export const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Maps whose entries an override replaces whole instead of merging into (a per-minute limit replaces a per-second
 * one); `null` removes an entry (e.g. an action's own limit, so that a shared bucket listing it applies).
 */
const REPLACED_ENTRIES = ['rateLimits'];

/** Deep-merges `override` into `base`, rejecting keys that `base` does not know (except free-form maps). */
export function mergeConfig(base: EmulatorConfig, override: unknown, freeForm = ['rateLimits', 'faults', 'stsKeys']): EmulatorConfig {
  if (override === undefined) return base;
  if (!isPlain(override)) throw new ConfigError('(root)', 'must be an object');
  const out = structuredClone(base) as unknown as Plain;
  const walk = (target: Plain, src: Plain, path: string): void => {
    for (const [k, v] of Object.entries(src)) {
      const field = path ? `${path}.${k}` : k;
      if (!(k in target) && !freeForm.includes(path)) throw new ConfigError(field, 'unknown field');
      if (v === null && REPLACED_ENTRIES.includes(path)) delete target[k];
      else if (isPlain(v) && isPlain(target[k]) && !REPLACED_ENTRIES.includes(path)) walk(target[k], v, field);
      else target[k] = v;
    }
  };
  walk(out, override, '');
  const cfg = out as unknown as EmulatorConfig;
  validateConfig(cfg);
  return cfg;
}

function num(field: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ConfigError(field, `must be a number in [${min}, ${max}]`);
}
function rate(field: string, v: unknown): void {
  if (v !== undefined) num(field, v, 0, 1);
}

function validateConfig(c: EmulatorConfig): void {
  if (!Array.isArray(c.regions) || c.regions.length === 0 || !c.regions.every((r) => typeof r === 'string' && /^[a-z0-9-]+$/.test(r)))
    throw new ConfigError('regions', 'must be a non-empty list of region ids such as "cn-hangzhou"');
  validateRateLimits(c.rateLimits);
  if (typeof c.rateLimitsEnabled !== 'boolean') throw new ConfigError('rateLimitsEnabled', 'must be a boolean');
  if (!isPlain(c.faults)) throw new ConfigError('faults', 'must be an object of action -> fault');
  for (const [a, f] of Object.entries(c.faults)) {
    if (!isPlain(f)) throw new ConfigError(`faults.${a}`, 'must be an object');
    rate(`faults.${a}.errorRate`, f.errorRate);
    rate(`faults.${a}.timeoutRate`, f.timeoutRate);
    rate(`faults.${a}.resetRate`, f.resetRate);
    if (f.errorStatus !== undefined && f.errorStatus !== 500 && f.errorStatus !== 503) throw new ConfigError(`faults.${a}.errorStatus`, 'must be 500 or 503');
    if (f.timeoutMs !== undefined) num(`faults.${a}.timeoutMs`, f.timeoutMs, 0, 600_000);
  }
  num('createLatency.schedulingMs', c.createLatency?.schedulingMs, 0, 3_600_000);
  num('createLatency.pendingMs', c.createLatency?.pendingMs, 0, 3_600_000);
  if (!Array.isArray(c.stockOut?.specs) || !c.stockOut.specs.every((s) => typeof s === 'string')) throw new ConfigError('stockOut.specs', 'must be a list of strings');
  if (typeof c.stockOut.code !== 'string' || !c.stockOut.code) throw new ConfigError('stockOut.code', 'must be an error code string');
  num('stockOut.httpStatus', c.stockOut.httpStatus, 400, 599);
  num('maxGroups', c.maxGroups, 0);
  num('retention.terminalKeepMs', c.retention?.terminalKeepMs, 0);
  num('retention.keepNewestPerRegion', c.retention?.keepNewestPerRegion, 0);
  num('retention.sweepIntervalMs', c.retention?.sweepIntervalMs, 10);
  num('backoff.initialMs', c.backoff?.initialMs, 0);
  num('backoff.maxMs', c.backoff?.maxMs, 0);
  num('backoff.resetAfterMs', c.backoff?.resetAfterMs, 0);
  num('logs.maxBytesPerContainer', c.logs?.maxBytesPerContainer, 1024);
  num('logs.defaultTail', c.logs?.defaultTail, 0);
  num('grace.defaultSeconds', c.grace?.defaultSeconds, 0, 3600);
  num('grace.maxSeconds', c.grace?.maxSeconds, 0, 3600);
  if (typeof c.signature?.verify !== 'boolean') throw new ConfigError('signature.verify', 'must be a boolean');
  num('signature.maxSkewSeconds', c.signature.maxSkewSeconds, 1);
  if (typeof c.ipPool !== 'string' || !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}\/(8|9|1\d|2[0-4])$/.test(c.ipPool))
    throw new ConfigError('ipPool', 'must be a CIDR inside 127.0.0.0/8 with a prefix of /8../24, e.g. "127.10.0.0/16"');
  if (typeof c.dataDir !== 'string' || !c.dataDir) throw new ConfigError('dataDir', 'must be a directory path');
  num('execTokenTtlMs', c.execTokenTtlMs, 100);
  num('maxEventsPerGroup', c.maxEventsPerGroup, 1);
  if (!isPlain(c.stsKeys)) throw new ConfigError('stsKeys', 'must be an object of AccessKeyId -> {accessKeySecret, securityToken, expiration}');
  const ids = Object.keys(c.stsKeys);
  if (ids.length > MAX_STS_KEYS) throw new ConfigError('stsKeys', `at most ${MAX_STS_KEYS} keys; drop expired ones`);
  for (const id of ids) {
    const k = c.stsKeys[id] as unknown;
    if (!isPlain(k)) throw new ConfigError(`stsKeys.${id}`, 'must be an object');
    for (const f of ['accessKeySecret', 'securityToken', 'expiration'] as const) {
      if (typeof k[f] !== 'string' || !k[f]) throw new ConfigError(`stsKeys.${id}.${f}`, 'must be a non-empty string');
    }
    if (Number.isNaN(Date.parse(k.expiration as string))) throw new ConfigError(`stsKeys.${id}.expiration`, 'must be an ISO 8601 time such as 2030-01-01T00:00:00Z');
  }
}

const isAction = (a: string): boolean => (ACTIONS as readonly string[]).includes(a);

function validateRateLimits(limits: unknown): void {
  if (!isPlain(limits)) throw new ConfigError('rateLimits', 'must be an object of action or bucket name -> requests per second or {actions?, perSecond | perMinute, burst?}');
  const sharedBy = new Map<string, string>();
  for (const [name, v] of Object.entries(limits)) {
    const field = `rateLimits.${name}`;
    if (typeof v === 'number') {
      num(field, v, 0);
      if (!isAction(name)) throw new ConfigError(field, `unknown action (known: ${ACTIONS.join(', ')})`);
      continue;
    }
    if (!isPlain(v)) throw new ConfigError(field, 'must be requests per second or {actions?, perSecond | perMinute, burst?}');
    for (const k of Object.keys(v)) if (!['actions', 'perSecond', 'perMinute', 'burst'].includes(k)) throw new ConfigError(`${field}.${k}`, 'unknown field');
    if ((v.perSecond === undefined) === (v.perMinute === undefined)) throw new ConfigError(field, 'give exactly one of perSecond and perMinute');
    if (v.perSecond !== undefined) num(`${field}.perSecond`, v.perSecond, 0);
    if (v.perMinute !== undefined) num(`${field}.perMinute`, v.perMinute, 0);
    if (v.burst !== undefined) num(`${field}.burst`, v.burst, 1);
    if (v.actions === undefined) {
      if (!isAction(name)) throw new ConfigError(field, `unknown action (a shared bucket lists its actions; known: ${ACTIONS.join(', ')})`);
      continue;
    }
    const actions = v.actions as unknown;
    if (!Array.isArray(actions) || actions.length === 0) throw new ConfigError(`${field}.actions`, 'must be a non-empty list of actions');
    for (const a of actions as unknown[]) {
      if (typeof a !== 'string' || !isAction(a)) throw new ConfigError(`${field}.actions`, `unknown action ${JSON.stringify(a)} (known: ${ACTIONS.join(', ')})`);
      if (isAction(name) && a !== name) throw new ConfigError(`${field}.actions`, `an entry named after ${name} serves only ${name}; name a shared bucket otherwise`);
      // An action's own entry takes it out of any shared bucket; without one it may be in only one.
      if (a === name || Object.hasOwn(limits, a)) continue;
      const other = sharedBy.get(a);
      if (other !== undefined) throw new ConfigError(`${field}.actions`, `${a} is already in the shared bucket ${other}`);
      sharedBy.set(a, name);
    }
  }
}

/** The key an STS AccessKeyId names, in the form the signature check takes, or undefined. */
export function stsKeyFor(c: EmulatorConfig, accessKeyId: string): { secret: string; securityToken: string; expiresAt: number } | undefined {
  const k = Object.hasOwn(c.stsKeys, accessKeyId) ? c.stsKeys[accessKeyId] : undefined;
  return k ? { secret: k.accessKeySecret, securityToken: k.securityToken, expiresAt: Date.parse(k.expiration) } : undefined;
}
