// The image-cache model as tables: image references that are one image, which cache a new group matches, the pull
// time with and without it, settings validation, and a cache's status, progress and events on an injected clock.
import test from 'ava';
import { ConfigError } from '../../../cloud/eci-emulator/config.js';
import { DEFAULT_IMAGE_CACHE, matchCache, mergeImageCacheSettings, normalizeImage, pullPlan, type MatchableCache } from '../../../cloud/eci-emulator/image-cache.js';
import { CACHE_HIT_REASON, ImageCacheStore } from '../../../cloud/eci-emulator/image-cache-store.js';
import type { GroupRecord } from '../../../cloud/eci-emulator/model.js';
import { fakeClock } from '../../helpers/fake-clock.js';

for (const [a, b, same] of [
  ['nginx', 'docker.io/library/nginx:latest', true],
  ['nginx:1.25', 'nginx:latest', false],
  ['library/nginx', 'nginx:latest', true],
  ['registry.example.com:5000/team/app', 'registry.example.com:5000/team/app:latest', true],
  ['nginx@sha256:abc', 'nginx@sha256:abc', true],
  ['team/app', 'docker.io/team/app:latest', true],
] as const) {
  test(`normalizeImage: ${a} ${same ? '=' : '≠'} ${b}`, (t) => t.is(normalizeImage(a) === normalizeImage(b), same));
}

const cache = (id: string, images: string[], o: Partial<MatchableCache> = {}): MatchableCache => ({ id, snapshotId: `s-${id}`, images, createdAtMs: 0, ready: true, ...o });
const caches = [cache('imc-a', ['nginx', 'redis']), cache('imc-b', ['nginx'], { createdAtMs: 10 }), cache('imc-c', ['busybox', 'redis', 'nginx'], { ready: false })];

for (const row of [
  { name: 'no auto-match, nothing named: none', images: ['nginx'], o: { autoMatch: false }, want: undefined },
  { name: 'auto-match: the most images wins', images: ['nginx', 'redis'], o: { autoMatch: true }, want: 'imc-a' },
  { name: 'auto-match: a tie goes to the newest', images: ['nginx'], o: { autoMatch: true }, want: 'imc-b' },
  { name: 'auto-match: a Preparing cache is not used', images: ['busybox'], o: { autoMatch: true }, want: undefined },
  { name: 'auto-match: no image in common, none', images: ['postgres'], o: { autoMatch: true }, want: undefined },
  { name: 'named by cache id', images: ['postgres'], o: { autoMatch: true, imageSnapshotId: 'imc-a' }, want: 'imc-a' },
  { name: 'named by snapshot id', images: ['nginx'], o: { autoMatch: false, imageSnapshotId: 's-imc-b' }, want: 'imc-b' },
  { name: 'named but not Ready: none (no fallback to auto-match)', images: ['nginx'], o: { autoMatch: true, imageSnapshotId: 'imc-c' }, want: undefined },
]) {
  test(`matchCache: ${row.name}`, (t) => t.is(matchCache(caches, row.images, row.o)?.id, row.want));
}

const s = { ...DEFAULT_IMAGE_CACHE, uncachedPullMs: 3000, cachedPullMs: 50, pullMsByImage: { 'big:1': 20_000 } };
for (const row of [
  { name: 'cold, one image', images: ['nginx'], cache: undefined, total: 3000 },
  { name: 'warm, one image', images: ['nginx'], cache: { images: ['docker.io/library/nginx:latest'] }, total: 50 },
  { name: 'per-image pull time', images: ['big:1'], cache: undefined, total: 20_000 },
  { name: 'partly cached: the rest pulls', images: ['nginx', 'big:1'], cache: { images: ['nginx'] }, total: 20_050 },
  { name: 'an image twice pulls once', images: ['nginx', 'nginx:latest'], cache: undefined, total: 3000 },
]) {
  test(`pullPlan: ${row.name}`, (t) => t.is(pullPlan(s, row.images, row.cache).totalMs, row.total));
}

for (const [partial, field] of [
  [{ uncachedPullMs: -1 }, 'imageCache.uncachedPullMs'],
  [{ pullModel: 'yes' }, 'imageCache.pullModel'],
  [{ pullMsByImage: { nginx: 'slow' } }, 'imageCache.pullMsByImage.nginx'],
  [{ failingImages: [1] }, 'imageCache.failingImages'],
  [{ pullTime: 1 }, 'imageCache.pullTime'],
] as const) {
  test(`settings: ${JSON.stringify(partial)} is refused naming ${field}`, (t) => {
    const e = t.throws(() => mergeImageCacheSettings(DEFAULT_IMAGE_CACHE, partial), { instanceOf: ConfigError });
    t.is(e?.field, field);
  });
}

type Json = Record<string, unknown>;
const group = (id: string, images: string[], spec: Partial<GroupRecord['spec']> = {}): GroupRecord =>
  ({ id, spec: { regionId: 'cn-hangzhou', initContainers: [], containers: images.map((image, i) => ({ name: `c${i}`, image })), ...spec } }) as unknown as GroupRecord;

test('store: Preparing with progress until the preparation time, then Ready with Pulled events; a new group matches it and pulls fast', (t) => {
  const { fake, clock } = fakeClock(1_700_000_000_000);
  const store = new ImageCacheStore(clock);
  store.configure({ pullModel: true, preparationMs: 10_000, uncachedPullMs: 4000, cachedPullMs: 20 });
  const events: string[] = [];
  const ev = (_id: string, _type: string, reason: string, message: string) => void events.push(`${reason}: ${message}`);
  t.is(store.onGroupCreated(group('eci-cold', ['nginx'], { autoMatchImageCache: true }), ev), 4000, 'no cache yet: a cold pull');
  const { ImageCacheId: id } = store.create({ ImageCacheName: 'web', Image: ['nginx'] }, 'cn-hangzhou', 'fp');
  const one = () => (store.describe({ ImageCacheId: id }, 'cn-hangzhou').ImageCaches as Json[])[0];
  t.like(one(), { Status: 'Preparing', Progress: '0%', Images: ['nginx'], ImageCacheSize: 20 });
  t.is(store.onGroupCreated(group('eci-prep', ['nginx'], { autoMatchImageCache: true }), ev), 4000, 'a Preparing cache is not matched');
  fake.tick(5000);
  t.like(one(), { Status: 'Preparing', Progress: '50%' });
  fake.tick(5000);
  t.like(one(), { Status: 'Ready', Progress: '100%' });
  t.deepEqual((one().Events as Json[]).map((e) => e.Reason), ['Pulling', 'Pulled', 'ImageCacheReady']);
  const warm = group('eci-warm', ['nginx:latest'], { autoMatchImageCache: true });
  t.is(store.onGroupCreated(warm, ev), 20);
  t.deepEqual(warm.imagePull, { ms: 20, imageCacheId: id });
  t.deepEqual(events, [`${CACHE_HIT_REASON}: Successfully hit image cache ${id}, eci will be scheduled with this image cache.`]);
  t.not(one().LastMatchedTime, '');
  t.is(store.onGroupCreated(group('eci-nomatch', ['nginx']), ev), 4000, 'without AutoMatchImageCache the cache is not used');
});

test('store: a failing image ends Failed; ClientToken makes create idempotent; delete and filters', (t) => {
  const { fake, clock } = fakeClock(1_700_000_000_000);
  const store = new ImageCacheStore(clock);
  store.configure({ preparationMs: 1000, failingImages: ['broken:1'] });
  const bad = store.create({ ImageCacheName: 'bad', Image: ['broken:1'], ClientToken: 'tok' }, 'cn-hangzhou', 'fp1');
  t.deepEqual(store.create({ ImageCacheName: 'bad', Image: ['broken:1'], ClientToken: 'tok' }, 'cn-hangzhou', 'fp1'), bad);
  t.throws(() => store.create({ ImageCacheName: 'bad', Image: ['other'], ClientToken: 'tok' }, 'cn-hangzhou', 'fp2'), { message: /same client token/ });
  store.create({ ImageCacheName: 'good', Image: ['nginx'], Tag: [{ Key: 'ecigw.io/tenant', Value: 'acme' }] }, 'cn-hangzhou', 'fp3');
  fake.tick(1000);
  const all = store.describe({}, 'cn-hangzhou');
  t.is(all.TotalCount, 2);
  t.deepEqual((all.ImageCaches as Json[]).map((c) => [c.ImageCacheName, c.Status]), [['good', 'Ready'], ['bad', 'Failed']]);
  t.is(store.describe({ Tag: [{ Key: 'ecigw.io/tenant', Value: 'acme' }] }, 'cn-hangzhou').TotalCount, 1);
  t.is(store.describe({ Image: 'broken:1' }, 'cn-hangzhou').TotalCount, 1);
  t.is(store.describe({}, 'cn-shanghai').TotalCount, 0);
  const page = store.describe({ Limit: '1' }, 'cn-hangzhou');
  t.is((page.ImageCaches as Json[]).length, 1);
  t.is((store.describe({ Limit: '1', NextToken: page.NextToken as string }, 'cn-hangzhou').ImageCaches as Json[])[0].ImageCacheName, 'bad');
  store.delete('cn-hangzhou', bad.ImageCacheId);
  t.throws(() => store.delete('cn-hangzhou', bad.ImageCacheId), { message: /does not exist/ });
  t.throws(() => store.create({ ImageCacheName: 'xy', Image: [] }, 'cn-hangzhou', 'fp'), { message: /Image/ });
  t.throws(() => store.create({ Image: ['nginx'] }, 'cn-hangzhou', 'fp'), { message: /ImageCacheName/ });
});
