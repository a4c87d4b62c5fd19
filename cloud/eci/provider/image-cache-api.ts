// ECI image-cache I/O for one tenant through its EciCaller (rate limits, retries): list the caches the relay made
// for the tenant (by the tenant-id tag), create one (with that tag and one ClientToken for all retries of the call,
// so a retried create makes one cache), delete one (an unknown id is already gone).
import { $Eci } from '../sdk.js';
import type { EciCaller } from '../api.js';
import { errorCodeOf } from '../retry.js';
import type { TenantScope } from '../../pod-provider/provider.js';
import { TAG_TENANT_ID, tenantTagValue } from './identity.js';
import type { ImageCacheApi, KnownCache } from './image-caches.js';

/** DescribeImageCaches page size the relay asks for. */
const PAGE = 100;

export function eciImageCacheApi(caller: EciCaller, scope: TenantScope): ImageCacheApi {
  const tag = { key: TAG_TENANT_ID, value: tenantTagValue(scope) };
  return {
    async list() {
      const out: KnownCache[] = [];
      let nextToken: string | undefined;
      for (let page = 0; page < 1000; page++) {
        const req = new $Eci.DescribeImageCachesRequest({ regionId: caller.regionId, tag: [new $Eci.DescribeImageCachesRequestTag(tag)], limit: PAGE, nextToken });
        const body = (await caller.call('DescribeImageCaches', (c, rt) => c.describeImageCachesWithOptions(req, rt))).body;
        for (const c of body?.imageCaches ?? []) if (c.imageCacheId) out.push({ id: c.imageCacheId, images: c.images ?? [], failed: c.status === 'Failed' });
        nextToken = body?.nextToken || undefined;
        if (!nextToken) break;
      }
      return out.reverse(); // oldest first
    },
    async create(name, images) {
      const req = new $Eci.CreateImageCacheRequest({ regionId: caller.regionId, imageCacheName: name, image: images, tag: [new $Eci.CreateImageCacheRequestTag(tag)], clientToken: `${name.slice(-50)}-${Date.now().toString(36)}` });
      const res = await caller.call('CreateImageCache', (c, rt) => c.createImageCacheWithOptions(req, rt));
      if (!res.body?.imageCacheId) throw new Error(`CreateImageCache ${name}: no ImageCacheId in the answer`);
      return res.body.imageCacheId;
    },
    async delete(id) {
      const req = new $Eci.DeleteImageCacheRequest({ regionId: caller.regionId, imageCacheId: id });
      await caller.call('DeleteImageCache', (c, rt) => c.deleteImageCacheWithOptions(req, rt)).catch((e: unknown) => {
        if (errorCodeOf(e) !== 'InvalidImageCacheId.NotFound') throw e;
      });
    },
  };
}
