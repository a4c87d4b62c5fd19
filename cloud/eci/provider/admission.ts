// The cloud owner's gate in front of CreateContainerGroup / UpdateContainerGroup: the tenant policy evaluated on
// the mapped request (PolicyDenied), then a slot within the tenant's caps on pods, vCPU, memory and spend, for
// the tenant and per cluster (TenantQuotaExceeded, naming the cap); and what those caps leave, for the agent.
// Decisions use the tenant's newest configuration (a reloaded policy applies to the next create). Denials are
// logged; the caller turns them into a Failed pod with a Warning event.
import type { V1Pod } from '@kubernetes/client-node';
import type { $Eci } from '../sdk.js';
import { PHASE_BY_STATUS, TAG_CLUSTER_ID, type EciGroup } from '../mapping/index.js';
import { defaultPolicy, denialMessage, evaluateCreate, evaluateUpdate, type PolicyContext } from '../policy/index.js';
import { ProviderError, type TenantConfig, type TenantScope } from '../../pod-provider/provider.js';
import type { Logger } from '../../../common/log.js';
import { classify } from '../retry.js';
import { ownershipOf, podUidOf, scopeTags, tagMap, type TagPair } from './identity.js';
import { TenantQuota } from './quota.js';
import { ECI_DEFAULT_SPEC, capStates, capsSpend, type CapState, type GroupUsage } from './caps.js';
import { priceSpecOf, type PriceSpec } from '../pricing.js';

const REASON_POLICY_DENIED = 'PolicyDenied';
const REASON_QUOTA_EXCEEDED = 'TenantQuotaExceeded';

type CreateAdmission =
  | { ok: true; done(created: boolean): void }
  | { ok: false; reason: typeof REASON_POLICY_DENIED | typeof REASON_QUOTA_EXCEEDED; message: string };

interface AdmissionDeps {
  /** Every group carrying `tags` (the tenant's own tags, any cluster), a page at a time. */
  pagesByTags(scope: TenantScope, tags: TagPair[]): AsyncIterable<EciGroup[]>;
  /** See TenantQuota (default 2000 ms). */
  quotaRelistMs?: number;
  /** A group's price per hour in the tenant's region (ECI's price API), asked only where a spend cap is set. */
  priceOf?(scope: TenantScope, spec: PriceSpec): Promise<number>;
  now?: () => number;
  log: Logger;
}

/** The tags all of a tenant's groups carry, whatever their cluster. */
function tenantTags(scope: TenantScope): TagPair[] {
  return scopeTags(scope).filter((t) => t.key !== TAG_CLUSTER_ID);
}

/** A group that holds one of the tenant's quota slots: the tenant's, of one of its clusters, not finished. */
export function holdsSlot(group: EciGroup, scope: TenantScope): boolean {
  const cluster = tagMap(group).get(TAG_CLUSTER_ID);
  if (!cluster || !scope.tenant.clusterIds.includes(cluster)) return false;
  if (ownershipOf(group, { ...scope, clusterId: cluster }) !== 'mine') return false;
  const phase = PHASE_BY_STATUS[group.status ?? ''];
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** The size ECI reports for a group (its default spec where it reports none) and its cluster tag. */
function groupUsage(g: EciGroup): GroupUsage {
  return { cluster: tagMap(g).get(TAG_CLUSTER_ID) ?? '', cpu: g.cpu || ECI_DEFAULT_SPEC.cpu, memoryGiB: g.memory || ECI_DEFAULT_SPEC.memoryGiB };
}

export class AdmissionGate {
  private readonly quotas = new Map<string, TenantQuota>();
  private readonly latest = new Map<string, TenantScope>();

  constructor(private readonly deps: AdmissionDeps) {}

  /** Remembers the newest configuration of the scope's tenant (every provider call passes it). */
  seen(scope: TenantScope): void {
    this.latest.set(scope.tenantId, scope);
  }

  private tenantOf(scope: TenantScope): TenantConfig {
    return this.latest.get(scope.tenantId)?.tenant ?? scope.tenant;
  }

  private context(scope: TenantScope): PolicyContext {
    const t = this.tenantOf(scope);
    return {
      tenantId: scope.tenantId,
      policy: t.policy ?? defaultPolicy(),
      own: { vSwitchIds: t.vSwitchId ? t.vSwitchId.split(',').map((s) => s.trim()).filter(Boolean) : [], securityGroupId: t.securityGroupId || undefined },
    };
  }

  private quotaOf(scope: TenantScope): TenantQuota {
    let q = this.quotas.get(scope.tenantId);
    if (!q) {
      const listLive = async () => {
        const current = this.latest.get(scope.tenantId) ?? scope;
        const live = new Map<string, GroupUsage>();
        const priced = capsSpend(current.tenant.quotas);
        for await (const page of this.deps.pagesByTags(current, tenantTags(current))) {
          for (const g of page) {
            const uid = podUidOf(g);
            if (!uid || !holdsSlot(g, current)) continue;
            const spec = priced ? priceSpecOf(g) : undefined;
            live.set(uid, { ...groupUsage(g), ...(spec ? { spendPerHour: await this.price(current, spec) } : {}) });
          }
        }
        return live;
      };
      q = new TenantQuota(listLive, { relistMs: this.deps.quotaRelistMs ?? 2000, now: this.deps.now });
      this.quotas.set(scope.tenantId, q);
    }
    return q;
  }

  /** Policy, then a quota slot. On ok, call done(created) once CreateContainerGroup answered. */
  async admitCreate(scope: TenantScope, pod: V1Pod, request: $Eci.CreateContainerGroupRequest): Promise<CreateAdmission> {
    const uid = pod.metadata?.uid ?? '';
    const denials = evaluateCreate(this.context(scope), request, pod.metadata?.annotations);
    if (denials.length > 0) {
      this.deps.log.warn({ uid, tenant: scope.tenantId, cluster: scope.clusterId, denied: denials.map((d) => `${d.field} (${d.policyKey})`) }, 'pod denied by the tenant policy; nothing created');
      return { ok: false, reason: REASON_POLICY_DENIED, message: denialMessage(denials) };
    }
    const tenant = this.tenantOf(scope);
    // Sizes as ECI will run the group; a create that names neither (or only an instance type) counts as ECI's
    // default spec until a listing brings the size ECI reports.
    const want: GroupUsage = { cluster: scope.clusterId, cpu: request.cpu ?? ECI_DEFAULT_SPEC.cpu, memoryGiB: request.memory ?? ECI_DEFAULT_SPEC.memoryGiB };
    if (capsSpend(tenant.quotas)) {
      // Region and sizes are always given here, so there is a spec: the pod is never counted as free.
      const spec = priceSpecOf({ regionId: tenant.region, cpu: want.cpu, memory: want.memoryGiB, instanceType: request.instanceType, spotStrategy: request.spotStrategy, spotPriceLimit: request.spotPriceLimit })!;
      want.spendPerHour = await this.price(scope, spec);
    }
    const slot = await this.quotaOf(scope).reserve(uid, want, tenant.quotas).catch((err: unknown) => {
      throw new ProviderError('UNAVAILABLE', `counting tenant ${scope.tenantId}'s pods on ECI for its quotas: ${classify(err).message}`);
    });
    if (!slot.ok) {
      const { cap } = slot;
      this.deps.log.warn({ uid, tenant: scope.tenantId, cluster: scope.clusterId, cap: cap.key, used: cap.used, want: cap.want, limit: cap.limit }, 'pod over a tenant quota; nothing created');
      const where = cap.key.startsWith('quotas.clusters.') ? `cluster "${scope.clusterId}" of tenant "${scope.tenantId}"` : `tenant "${scope.tenantId}" (clusters ${tenant.clusterIds.join(', ')})`;
      const unit = { pods: 'pods', cpu: 'vCPU', memory: 'GiB of memory', spend: 'per hour of spend' }[cap.resource];
      return {
        ok: false,
        reason: REASON_QUOTA_EXCEEDED,
        message: `${where} already has ${cap.used} ${unit} running or being created on ECI; this pod needs ${cap.want} more, over tenants.${scope.tenantId}.${cap.key} (${cap.limit}); delete pods, or ask the cloud account owner to raise tenants.${scope.tenantId}.${cap.key}`,
      };
    }
    return { ok: true, done: (created) => slot.release(created) };
  }

  /** A price the spend caps need; without one the create waits (retried), it is never counted as free. */
  private async price(scope: TenantScope, spec: PriceSpec): Promise<number> {
    if (!this.deps.priceOf) throw new ProviderError('FAILED_PRECONDITION', `tenants.${scope.tenantId} caps spend, but this relay has no price source`);
    return await this.deps.priceOf(scope, spec).catch((err: unknown) => {
      throw new ProviderError('UNAVAILABLE', `pricing a container group for tenant ${scope.tenantId}'s spend cap: ${classify(err).message}`);
    });
  }

  /** The denial message for an update (new images), or undefined when allowed. */
  checkUpdate(scope: TenantScope, request: $Eci.UpdateContainerGroupRequest): string | undefined {
    const denials = evaluateUpdate(this.context(scope), request);
    return denials.length ? denialMessage(denials) : undefined;
  }

  /** What a scope emitted for a pod: its group is live (not finished, not gone) or not. */
  observed(scope: TenantScope, uid: string, live: boolean): void {
    this.quotas.get(scope.tenantId)?.observe(uid, live, { cluster: scope.clusterId, ...ECI_DEFAULT_SPEC });
  }

  /** Every cap on the scope's pods and what is used of it (ECI is listed first if it never was). */
  async capacity(scope: TenantScope): Promise<CapState[]> {
    const q = this.quotaOf(scope);
    await q.ready();
    return capStates(this.tenantOf(scope).quotas, q.usages(), scope.clusterId);
  }
}
