// Agent identities on the relay: what a certificate name or a token digest is allowed to act for (a
// tenant AND the cluster ids of that tenant it may claim), the id syntax that keeps tenants and clusters
// distinguishable, and the parsers of `certificateIdentities` and of the token file. Pure.
import type { TenantConfig } from '../pod-provider/provider.js';
import { FieldError } from '../../common/field-error.js';

/** What one agent identity may act for. */
export interface IdentityGrant {
  tenantId: string;
  /** Cluster ids (all listed by the tenant) this identity may claim; never empty. */
  clusterIds: readonly string[];
}

/**
 * Tenant and cluster ids are DNS labels (RFC 1123: lower-case letters, digits and '-', 1-63 characters,
 * alphanumeric at both ends). No separator a key could be built with ('/', ':', NUL, '.') can appear,
 * ids fit an ECI tag value untruncated, and ids that differ only in case cannot both exist.
 */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function dnsLabelProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || !DNS_LABEL.test(id)) {
    return `${JSON.stringify(id)} is not a DNS label (1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit)`;
  }
  return undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One identity's grant: `"<tenant>"` (allowed only when that tenant has exactly one cluster id) or
 * `{ tenant, clusterIds }` whose cluster ids the tenant lists.
 */
function parseGrant(v: unknown, field: string, tenants: Record<string, TenantConfig>): IdentityGrant {
  if (typeof v === 'string') {
    const t = tenants[v];
    if (!t) throw new FieldError(field, `unknown tenant ${JSON.stringify(v)}`);
    if (t.clusterIds.length !== 1) {
      throw new FieldError(
        field,
        `the short form "${v}" is allowed only for a tenant with exactly one cluster id; tenant ${v} lists ${JSON.stringify(t.clusterIds)}: write { tenant: ${v}, clusterIds: [<the clusters this agent runs>] }`,
      );
    }
    return { tenantId: v, clusterIds: [...t.clusterIds] };
  }
  if (!isObj(v)) throw new FieldError(field, 'must be a tenant id or { tenant, clusterIds }');
  for (const k of Object.keys(v)) if (k !== 'tenant' && k !== 'clusterIds') throw new FieldError(`${field}.${k}`, 'unknown field (known: tenant, clusterIds)');
  const tenantId = v.tenant;
  if (typeof tenantId !== 'string' || !tenants[tenantId]) throw new FieldError(`${field}.tenant`, `unknown tenant ${JSON.stringify(tenantId)}`);
  const ids = v.clusterIds;
  if (!Array.isArray(ids) || ids.length === 0) throw new FieldError(`${field}.clusterIds`, 'must be a non-empty array of cluster ids');
  const seen = new Set<string>();
  for (const [i, c] of ids.entries()) {
    if (typeof c !== 'string' || !tenants[tenantId].clusterIds.includes(c)) {
      throw new FieldError(`${field}.clusterIds[${i}]`, `${JSON.stringify(c)} is not a cluster of tenant ${tenantId} (tenants.${tenantId}.clusterIds: ${JSON.stringify(tenants[tenantId].clusterIds)})`);
    }
    if (seen.has(c)) throw new FieldError(`${field}.clusterIds[${i}]`, `duplicate cluster id ${JSON.stringify(c)}`);
    seen.add(c);
  }
  return { tenantId, clusterIds: [...seen] };
}

/** `certificateIdentities`: client-certificate name (CN or SAN URI) → grant. */
export function parseCertificateIdentities(raw: unknown, tenants: Record<string, TenantConfig>): Record<string, IdentityGrant> {
  if (raw === undefined) return {};
  if (!isObj(raw)) throw new FieldError('certificateIdentities', 'must be an object (certificate name → tenant or { tenant, clusterIds })');
  const out: Record<string, IdentityGrant> = {};
  for (const [name, v] of Object.entries(raw)) {
    if (name.length === 0 || name.length > 1024) throw new FieldError('certificateIdentities', `certificate name ${JSON.stringify(name.slice(0, 40))} must be 1-1024 characters`);
    // defineProperty: a name such as "__proto__" is an own key like any other, not the prototype.
    Object.defineProperty(out, name, { value: parseGrant(v, `certificateIdentities.${name}`, tenants), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The token file: `{ "<sha256 hex of the token>": "<tenant>" | { tenant, clusterIds } }`. Digests are
 * compared in lower case, so two spellings of one digest are a duplicate, not two identities.
 */
export function parseTokenGrants(text: string, tenants: Record<string, TenantConfig>, file = 'token file'): Map<string, IdentityGrant> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new FieldError(file, `not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(raw)) throw new FieldError(file, 'must be a JSON object { "<sha256 hex of token>": tenant or { tenant, clusterIds } }');
  const out = new Map<string, IdentityGrant>();
  for (const [digest, v] of Object.entries(raw)) {
    const field = `${file}: entry ${digest.slice(0, 12)}…`;
    if (!/^[0-9a-fA-F]{64}$/.test(digest)) throw new FieldError(`${file}: entry ${JSON.stringify(digest.slice(0, 16))}`, 'key must be the SHA-256 hex digest of the token (64 hex characters)');
    const key = digest.toLowerCase();
    if (out.has(key)) throw new FieldError(field, 'the same digest is listed twice (keys are compared in lower case)');
    out.set(key, parseGrant(v, field, tenants));
  }
  return out;
}

export const sameGrant = (a: IdentityGrant, b: IdentityGrant): boolean =>
  a.tenantId === b.tenantId && a.clusterIds.length === b.clusterIds.length && [...a.clusterIds].sort().join('\n') === [...b.clusterIds].sort().join('\n');

export const describeGrant = (g: IdentityGrant): string => `tenant ${g.tenantId} clusters [${g.clusterIds.join(', ')}]`;
