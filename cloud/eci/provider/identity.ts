// Which container groups belong to which tenant and pod, read only from ECI tags so a restarted relay re-derives
// everything: the scope's tag filter, ownership of a group (mine / another scope's / legacy / not ours), the
// immutable tenant-id tag every write carries, the pod UID and applied generation a group carries, and the
// tenant-scoped idempotency ClientToken of a create. Pure.
import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { IDENTITY_TAG_KEYS, MAX_TAGS, TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID, tagProblem, type EciGroup } from '../mapping/index.js';
import { ProviderError, type TenantScope } from '../../pod-provider/provider.js';

/** Generation of the pod intent a group was created or last updated for (added by the provider, not the mapping). */
export const TAG_GENERATION = 'ecigw.io/generation';

/**
 * The tenant a group belongs to, set by the provider on every create and update (always to the scope's tenant id,
 * whatever the pod's labels say), so two tenants on one ECI account, even with the same cluster id, never share a
 * group. A group without it was made before the tag existed and is never touched (`legacy`).
 */
export const TAG_TENANT_ID = 'ecigw.io/tenant-id';

export interface TagPair {
  key: string;
  value: string;
}

/** The tenant-id tag's value: the tenant id, which must be a valid ECI tag value (config ids are DNS labels). */
export function tenantTagValue(scope: TenantScope): string {
  const problem = tagProblem(TAG_TENANT_ID, scope.tenantId);
  if (problem) throw new ProviderError('INVALID_ARGUMENT', `tenants.${scope.tenantId}: the tenant id cannot be the value of the ${TAG_TENANT_ID} tag (${problem}); rename the tenant`);
  return scope.tenantId;
}

/** Tags every group of the scope carries: the cluster id, the tenant id and the tenant's own tags. */
export function scopeTags(scope: TenantScope): TagPair[] {
  return [
    { key: TAG_CLUSTER_ID, value: scope.clusterId },
    { key: TAG_TENANT_ID, value: tenantTagValue(scope) },
    ...Object.entries(scope.tenant.tags).map(([key, value]) => ({ key, value })),
  ];
}

export function tagMap(group: EciGroup): Map<string, string> {
  return new Map((group.tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));
}

type Ownership = 'mine' | 'foreign' | 'legacy' | 'untagged';

/**
 * `untagged`: no pod-uid or cluster tag (not a gateway pod, never touched); `legacy`: a gateway pod without the
 * tenant-id tag (made before it existed; any tenant's, so never touched); `foreign`: another tenant's or cluster's.
 */
export function ownershipOf(group: EciGroup, scope: TenantScope): Ownership {
  const tags = tagMap(group);
  if (!tags.get(TAG_POD_UID) || !tags.has(TAG_CLUSTER_ID)) return 'untagged';
  if (!tags.get(TAG_TENANT_ID)) return 'legacy';
  return scopeTags(scope).every((t) => tags.get(t.key) === t.value) ? 'mine' : 'foreign';
}

/**
 * The scope's groups among those a lookup by pod uid found, oldest first. Another scope's group for the uid is
 * PERMISSION_DENIED (without saying whose); a legacy one is FAILED_PRECONDITION naming it and the fix, so the
 * pod neither runs twice nor takes over a group that may be another tenant's.
 */
export function ownGroupsForUid(groups: EciGroup[], scope: TenantScope, uid: string): EciGroup[] {
  const mine = groups.filter((g) => ownershipOf(g, scope) === 'mine');
  if (mine.length === 0) {
    if (groups.some((g) => ownershipOf(g, scope) === 'foreign')) throw new ProviderError('PERMISSION_DENIED', `pod ${uid} belongs to another cluster or tenant`);
    const legacy = groups.find((g) => ownershipOf(g, scope) === 'legacy');
    if (legacy) {
      throw new ProviderError(
        'FAILED_PRECONDITION',
        `pod ${uid}: container group ${legacy.containerGroupId} has no ${TAG_TENANT_ID} tag (made by a relay older than that tag), so no tenant may manage it; delete it in ECI, then the pod can be applied again`,
      );
    }
  }
  return mine.sort((a, b) => String(a.creationTime ?? '').localeCompare(String(b.creationTime ?? '')));
}

/**
 * `tags` with the tenant-id tag set to the scope's tenant (any other value, e.g. copied from a pod label, is
 * replaced). When all 20 ECI tag slots are used, the last copied pod label makes room, with a warning; identity,
 * generation and tenant tags are never dropped.
 */
export function withTenantTag<T extends { key?: string; value?: string }>(tags: T[], scope: TenantScope, make: (t: TagPair) => T): { tags: T[]; warnings: string[] } {
  const value = tenantTagValue(scope);
  const warnings: string[] = [];
  const out = tags.filter((t) => t.key !== TAG_TENANT_ID);
  const kept = new Set<string>([...IDENTITY_TAG_KEYS, TAG_GENERATION, ...Object.keys(scope.tenant.tags)]);
  if (out.length >= MAX_TAGS) {
    let i = out.length - 1;
    while (i >= 0 && kept.has(out[i].key ?? '')) i--;
    if (i < 0) throw new ProviderError('INVALID_ARGUMENT', `tenants.${scope.tenantId}.tags: too many tags; ECI allows ${MAX_TAGS} per container group and the gateway needs ${IDENTITY_TAG_KEYS.length + 2} of them`);
    const [dropped] = out.splice(i, 1);
    warnings.push(`label ${dropped.key} is not copied to an ECI tag: the gateway needs the slot for ${TAG_TENANT_ID}`);
  }
  out.push(make({ key: TAG_TENANT_ID, value }));
  return { tags: out, warnings };
}

export function podUidOf(group: EciGroup): string | undefined {
  return tagMap(group).get(TAG_POD_UID) || undefined;
}

export function generationOf(group: EciGroup): number {
  const g = Number(tagMap(group).get(TAG_GENERATION));
  return Number.isSafeInteger(g) && g > 0 ? g : 0;
}

function podNameOf(group: EciGroup): { namespace: string; name: string } {
  const tags = tagMap(group);
  return { namespace: tags.get(TAG_NAMESPACE) ?? '', name: tags.get(TAG_POD_NAME) ?? group.containerGroupName ?? '' };
}

/** ECI's ClientToken is at most 64 ASCII characters. */
const MAX_CLIENT_TOKEN = 64;

/** `<uid>-g<generation>[-a<attempt>]`, ASCII and ≤64 chars (a non-ASCII or over-long uid is hashed down). */
export function clientTokenFor(uid: string, generation: number, attempt = 0): string {
  const suffix = `-g${generation}${attempt > 0 ? `-a${attempt}` : ''}`;
  const room = MAX_CLIENT_TOKEN - suffix.length;
  const safe = /^[\x21-\x7e]+$/.test(uid) && uid.length <= room ? uid : fnv1a64(uid).slice(0, room);
  return `${safe}${suffix}`;
}

/**
 * The ClientToken ECI sees: the provider's token prefixed with a hash of the scope, so a token is never shared by
 * two tenants or clusters of one account (ECI would otherwise answer a create with another scope's group), still
 * ASCII, deterministic and ≤64 characters.
 */
export function scopedClientToken(token: string, scope: TenantScope): string {
  const prefix = `s${createHash('sha256').update(`${scope.tenantId}/${scope.clusterId}`).digest('hex').slice(0, 10)}-`;
  const room = MAX_CLIENT_TOKEN - prefix.length;
  const body = /^[\x21-\x7e]+$/.test(token) && token.length <= room ? token : createHash('sha256').update(token).digest('hex').slice(0, room);
  return `${prefix}${body}`;
}

function fnv1a64(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s, 'utf8')) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

/**
 * A minimal Pod rebuilt from a group (container names, images, resources) so a relay that restarted, and so never
 * saw the intent, can still map the group's status. Replaced by the real pod once the agent re-applies.
 */
export function podFromGroup(group: EciGroup): V1Pod {
  const { namespace, name } = podNameOf(group);
  const toContainer = (c: { name?: string; image?: string; cpu?: number; memory?: number }) => {
    const requests: Record<string, string> = {};
    if (c.cpu) requests.cpu = String(c.cpu);
    if (c.memory) requests.memory = `${c.memory}Gi`;
    return { name: c.name ?? '', image: c.image, resources: Object.keys(requests).length ? { requests } : undefined };
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, uid: podUidOf(group) },
    spec: {
      restartPolicy: group.restartPolicy,
      containers: (group.containers ?? []).map(toContainer),
      initContainers: group.initContainers?.length ? group.initContainers.map(toContainer) : undefined,
    },
  };
}
