// ECI container-group I/O for one tenant through its EciCaller: paged listing by tag filter (Limit/NextToken),
// lookups by ids in batches, lookup by pod UID, create, update, delete. Every query carries tag filters; the
// provider still checks ownership of every group returned. Every create and update carries the scope's
// tenant-id tag, and a create a ClientToken no other scope can share.
import { $Eci } from '../sdk.js';
import type { EciCaller } from '../api.js';
import { TAG_POD_UID, type EciGroup } from '../mapping/index.js';
import type { TenantScope } from '../../pod-provider/provider.js';
import { scopedClientToken, withTenantTag, type TagPair } from './identity.js';

/** DescribeContainerGroups returns at most 20 groups per page and accepts at most 20 ids (ECI docs). */
export const MAX_PAGE = 20;

export interface ReadCounter {
  reads: number;
}

export class GroupApi {
  constructor(
    /** The tenant caller every ECI call of this api goes through. */
    readonly caller: EciCaller,
    private readonly pageSize = MAX_PAGE,
    private readonly counter: ReadCounter = { reads: 0 },
  ) {}

  private async describe(req: { tags: TagPair[]; ids?: string[]; nextToken?: string; limit: number }): Promise<$Eci.DescribeContainerGroupsResponseBody> {
    this.counter.reads++;
    const request = new $Eci.DescribeContainerGroupsRequest({
      regionId: this.caller.regionId,
      tag: req.tags.map((t) => new $Eci.DescribeContainerGroupsRequestTag(t)),
      containerGroupIds: req.ids ? JSON.stringify(req.ids) : undefined,
      limit: req.limit,
      nextToken: req.nextToken || undefined,
      withEvent: true,
    });
    const res = await this.caller.call('DescribeContainerGroups', (c, rt) => c.describeContainerGroupsWithOptions(request, rt));
    return res.body ?? new $Eci.DescribeContainerGroupsResponseBody({});
  }

  /**
   * Every group carrying all `tags`, a page at a time (following NextToken to the end), so a full listing
   * of thousands of groups never holds more than one page of SDK models at once.
   */
  async *pagesByTags(tags: TagPair[]): AsyncGenerator<EciGroup[]> {
    let nextToken: string | undefined;
    for (let page = 0; page < 100_000; page++) {
      const body = await this.describe({ tags, nextToken, limit: this.pageSize });
      const groups = body.containerGroups ?? [];
      if (groups.length > 0) yield groups;
      nextToken = body.nextToken;
      if (!nextToken || groups.length === 0) break;
    }
  }

  /** The groups among `ids` that still exist and carry `tags` (batches of ≤20 ids). */
  async listByIds(ids: string[], tags: TagPair[]): Promise<EciGroup[]> {
    const out: EciGroup[] = [];
    for (let i = 0; i < ids.length; i += MAX_PAGE) {
      const batch = ids.slice(i, i + MAX_PAGE);
      const body = await this.describe({ tags, ids: batch, limit: MAX_PAGE });
      out.push(...(body.containerGroups ?? []));
    }
    return out;
  }

  /** Groups tagged with this pod UID, whatever their tenant or cluster: the caller checks ownership (ownGroupsForUid). */
  async findByUid(uid: string): Promise<EciGroup[]> {
    const out: EciGroup[] = [];
    for await (const page of this.pagesByTags([{ key: TAG_POD_UID, value: uid }])) out.push(...page);
    return out;
  }

  /** Creates a group of `scope` (its tenant tag and a scope-bound ClientToken are set here); warnings for the pod. */
  async create(request: $Eci.CreateContainerGroupRequest, scope: TenantScope): Promise<{ groupId: string; warnings: string[] }> {
    const tagged = withTenantTag(request.tag ?? [], scope, (t) => new $Eci.CreateContainerGroupRequestTag(t));
    request.tag = tagged.tags;
    if (request.clientToken) request.clientToken = scopedClientToken(request.clientToken, scope);
    const res = await this.caller.call('CreateContainerGroup', (c, rt) => c.createContainerGroupWithOptions(request, rt));
    const groupId = res.body?.containerGroupId;
    if (!groupId) throw new Error('CreateContainerGroup returned no ContainerGroupId');
    return { groupId, warnings: tagged.warnings };
  }

  /** Updates a group of `scope`; ECI replaces the tags, so the tenant tag is set again (to the same value). */
  async update(request: $Eci.UpdateContainerGroupRequest, scope: TenantScope): Promise<string[]> {
    const tagged = withTenantTag(request.tag ?? [], scope, (t) => new $Eci.UpdateContainerGroupRequestTag(t));
    request.tag = tagged.tags;
    await this.caller.call('UpdateContainerGroup', (c, rt) => c.updateContainerGroupWithOptions(request, rt));
    return tagged.warnings;
  }

  /** Deletes a group; false when ECI no longer knows it. */
  async delete(groupId: string, clientToken: string): Promise<boolean> {
    const request = new $Eci.DeleteContainerGroupRequest({ regionId: this.caller.regionId, containerGroupId: groupId, clientToken });
    try {
      await this.caller.call('DeleteContainerGroup', (c, rt) => c.deleteContainerGroupWithOptions(request, rt));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: unknown };
  return e?.statusCode === 404 || (typeof e?.code === 'string' && /NotFound/i.test(e.code));
}
