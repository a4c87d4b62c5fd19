// Which container groups belong to which tenant and pod, read only from ECI tags so a restarted relay re-derives
// everything: the scope's tag filter, ownership of a group (mine / another scope's / not ours), the pod UID and
// applied generation a group carries, and the idempotency ClientToken of a create. Pure.
import type { V1Pod } from '@kubernetes/client-node';
import { TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID, type EciGroup } from '../mapping/index.js';
import type { TenantScope } from '../../provider/provider.js';

/** Generation of the pod intent a group was created or last updated for (added by the provider, not the mapping). */
export const TAG_GENERATION = 'ecigw.io/generation';

export interface TagPair {
  key: string;
  value: string;
}

/** Tags every group of the scope carries: the cluster id plus the tenant's own tags. */
export function scopeTags(scope: TenantScope): TagPair[] {
  return [{ key: TAG_CLUSTER_ID, value: scope.clusterId }, ...Object.entries(scope.tenant.tags).map(([key, value]) => ({ key, value }))];
}

export function tagMap(group: EciGroup): Map<string, string> {
  return new Map((group.tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));
}

export type Ownership = 'mine' | 'foreign' | 'untagged';

/** `untagged`: no pod-uid tag (not a gateway pod, never touched); `foreign`: a gateway pod of another cluster/tenant. */
export function ownershipOf(group: EciGroup, scope: TenantScope): Ownership {
  const tags = tagMap(group);
  if (!tags.get(TAG_POD_UID) || !tags.has(TAG_CLUSTER_ID)) return 'untagged';
  return scopeTags(scope).every((t) => tags.get(t.key) === t.value) ? 'mine' : 'foreign';
}

export function podUidOf(group: EciGroup): string | undefined {
  return tagMap(group).get(TAG_POD_UID) || undefined;
}

export function generationOf(group: EciGroup): number {
  const g = Number(tagMap(group).get(TAG_GENERATION));
  return Number.isSafeInteger(g) && g > 0 ? g : 0;
}

export function podNameOf(group: EciGroup): { namespace: string; name: string } {
  const tags = tagMap(group);
  return { namespace: tags.get(TAG_NAMESPACE) ?? '', name: tags.get(TAG_POD_NAME) ?? group.containerGroupName ?? '' };
}

/** ECI's ClientToken is at most 64 ASCII characters. */
export const MAX_CLIENT_TOKEN = 64;

/** `<uid>-g<generation>[-a<attempt>]`, ASCII and ≤64 chars (a non-ASCII or over-long uid is hashed down). */
export function clientTokenFor(uid: string, generation: number, attempt = 0): string {
  const suffix = `-g${generation}${attempt > 0 ? `-a${attempt}` : ''}`;
  const room = MAX_CLIENT_TOKEN - suffix.length;
  const safe = /^[\x21-\x7e]+$/.test(uid) && uid.length <= room ? uid : fnv1a64(uid).slice(0, room);
  return `${safe}${suffix}`;
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
