// Image caches on the wire, through the unmodified SDK: CreateImageCache → DescribeImageCaches (Preparing, then
// Ready, with events) → a group created with AutoMatchImageCache gets ECI's cache-hit event and a short pull, one
// without a cache the configured cold pull → DeleteImageCache. Settings go through the admin HTTP route.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { CACHE_HIT_REASON } from '../../../cloud/eci-emulator/image-cache-store.js';
import { $Eci, sdkClient, sdkError, waitFor, type EciClient } from './sdk.js';

let h: EmulatorHandle;
let c: EciClient;
const regionId = 'cn-hangzhou';

test.before(async () => {
  h = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 20, pendingMs: 0 } } });
  c = sdkClient(h);
});
test.after.always(async () => {
  await h?.close();
});

const admin = async (route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
  const r = await fetch(`${h.url}/__admin/${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
};

const cacheById = async (id: string) => (await c.describeImageCaches(new $Eci.DescribeImageCachesRequest({ regionId, imageCacheId: id }))).body.imageCaches?.[0];

async function runningGroup(name: string, image: string, autoMatchImageCache?: boolean) {
  const r = await c.createContainerGroup(new $Eci.CreateContainerGroupRequest({ regionId, containerGroupName: name, autoMatchImageCache, container: [{ name: 'app', image }] }));
  const id = r.body.containerGroupId!;
  const g = await waitFor(`${name} Running`, async () => {
    const x = (await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId, containerGroupIds: JSON.stringify([id]) }))).body.containerGroups?.[0];
    return x?.status === 'Running' ? x : undefined;
  });
  return { g, summary: h.admin.listGroups().find((x) => x.id === id)! };
}

test.serial('a Ready cache is matched on create (event, short pull); without one the image pulls cold', async (t) => {
  const set = await admin('image-cache', { pullModel: true, uncachedPullMs: 800, cachedPullMs: 10, preparationMs: 400 });
  t.is(set.status, 200);
  t.is((await admin('image-cache', { uncachedPullMs: 'slow' })).status, 400, 'a bad setting is refused');

  const cold = await runningGroup('cold', 'nginx:1.25', true);
  t.is(cold.summary.imagePullMs, 800);
  t.is(cold.summary.imageCacheId, undefined);
  t.false(cold.g.events?.some((e) => e.reason === CACHE_HIT_REASON));

  const created = await c.createImageCache(new $Eci.CreateImageCacheRequest({ regionId, imageCacheName: 'web-cache', image: ['nginx:1.25'], tag: [{ key: 'ecigw.io/tenant', value: 'acme' }] }));
  const id = created.body.imageCacheId!;
  t.regex(id, /^imc-/);
  t.regex(created.body.containerGroupId ?? '', /^eci-/);
  const preparing = await cacheById(id);
  t.is(preparing?.status, 'Preparing');
  t.deepEqual(preparing?.images, ['nginx:1.25']);
  t.deepEqual(preparing?.tags?.map((x) => [x.key, x.value]), [['ecigw.io/tenant', 'acme']]);
  const ready = await waitFor('cache Ready', async () => ((await cacheById(id))?.status === 'Ready' ? cacheById(id) : undefined));
  t.is(ready?.progress, '100%');
  t.true(ready?.events?.some((e) => e.reason === 'Pulled'));
  t.regex(ready?.creationTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  const warm = await runningGroup('warm', 'nginx:1.25', true);
  t.is(warm.summary.imagePullMs, 10);
  t.is(warm.summary.imageCacheId, id);
  t.regex(warm.g.events?.find((e) => e.reason === CACHE_HIT_REASON)?.message ?? '', new RegExp(id));
  t.not((await cacheById(id))?.lastMatchedTime, '');

  const notAsked = await runningGroup('no-auto', 'nginx:1.25');
  t.is(notAsked.summary.imagePullMs, 800, 'without AutoMatchImageCache the cache is not used');

  const byImage = (await c.describeImageCaches(new $Eci.DescribeImageCachesRequest({ regionId, image: 'nginx:1.25' }))).body;
  t.is(byImage.totalCount, 1);
  await c.deleteImageCache(new $Eci.DeleteImageCacheRequest({ regionId, imageCacheId: id }));
  t.is(await cacheById(id), undefined);
  const gone = await sdkError(c.deleteImageCache(new $Eci.DeleteImageCacheRequest({ regionId, imageCacheId: id })));
  t.is(gone.code, 'InvalidImageCacheId.NotFound');
  t.is(gone.statusCode, 404);
});

test.serial('CreateImageCache needs a name and images', async (t) => {
  const e = await sdkError(c.createImageCache(new $Eci.CreateImageCacheRequest({ regionId, imageCacheName: 'no-images' })));
  t.is(e.code, 'MissingParameter');
});
