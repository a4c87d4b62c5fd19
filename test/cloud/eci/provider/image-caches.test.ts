// The relay's image-cache keeper as tables (an in-memory ECI and an injected clock): a cache per image set no cache
// covers, one create however many pods of the set burst at once, the least recently used deleted beyond the
// budget, a new image set (a Deployment's image changed) getting a new cache, adoption and clean-up of a tenant's
// existing caches after a restart; the tenant config key and AutoMatchImageCache on creates.
import test from 'ava';
import { ImageCacheKeeper, cacheName, podImages, withAutoMatch, type ImageCacheApi, type KnownCache } from '../../../../cloud/eci/provider/image-caches.js';
import { $Eci } from '../../../../cloud/eci/sdk.js';
import { ConfigError, parseRelayConfig } from '../../../../cloud/relay/config.js';
import type { TenantScope } from '../../../../cloud/pod-provider/provider.js';

function memoryEci(existing: KnownCache[] = []) {
  const caches = new Map(existing.map((c) => [c.id, c]));
  const calls: string[] = [];
  let n = 0;
  const api: ImageCacheApi = {
    list: () => (calls.push('list'), Promise.resolve([...caches.values()])),
    create: (_name, images) => {
      const id = `imc-${++n}`;
      calls.push(`create ${images.join('+')}`);
      caches.set(id, { id, images });
      return Promise.resolve(id);
    },
    delete: (id) => (calls.push(`delete ${id}`), caches.delete(id), Promise.resolve()),
  };
  return { api, caches, calls };
}

function keeper(eci: ReturnType<typeof memoryEci>, maxCaches: number) {
  let now = 1000;
  const k = new ImageCacheKeeper(eci.api, { tenantId: 'acme', maxCaches: () => maxCaches, now: () => now });
  return { k, tick: (ms: number) => (now += ms) };
}

test('one create for a burst of the same image set; a covered set creates nothing', async (t) => {
  const eci = memoryEci();
  const { k } = keeper(eci, 3);
  await Promise.all(Array.from({ length: 50 }, () => k.use(['nginx:1.25'])));
  await k.use(['nginx:1.25']);
  t.deepEqual(eci.calls, ['list', 'create nginx:1.25']);
  t.deepEqual(k.kept.map((c) => c.images), [['nginx:1.25']]);
});

for (const row of [
  { name: 'within the budget nothing is deleted', max: 3, uses: [['a'], ['b'], ['c']], kept: [['a'], ['b'], ['c']], deleted: [] },
  { name: 'beyond the budget the least recently used goes', max: 2, uses: [['a'], ['b'], ['a'], ['c']], kept: [['a'], ['c']], deleted: ['imc-2'] },
  { name: 'a Deployment image change: the new set gets a cache, the old one stays while the budget allows', max: 2, uses: [['web:1'], ['web:2']], kept: [['web:1'], ['web:2']], deleted: [] },
  { name: 'a subset is covered by a cache of the larger set', max: 2, uses: [['a', 'b'], ['a']], kept: [['a', 'b']], deleted: [] },
  { name: 'budget 1: every new set replaces the last', max: 1, uses: [['a'], ['b'], ['c']], kept: [['c']], deleted: ['imc-1', 'imc-2'] },
]) {
  test(`LRU: ${row.name}`, async (t) => {
    const eci = memoryEci();
    const { k, tick } = keeper(eci, row.max);
    for (const images of row.uses) {
      await k.use(images);
      tick(1000);
    }
    t.deepEqual(k.kept.map((c) => c.images), row.kept);
    t.deepEqual(eci.calls.filter((c) => c.startsWith('delete')).map((c) => c.slice(7)), row.deleted);
    t.is(eci.caches.size, row.kept.length);
  });
}

test('a restarted relay adopts the tenant caches (oldest first out) and deletes Failed ones', async (t) => {
  const eci = memoryEci([{ id: 'imc-old', images: ['a'] }, { id: 'imc-newer', images: ['b'] }, { id: 'imc-bad', images: ['c'], failed: true }]);
  const { k } = keeper(eci, 2);
  await k.use(['b']);
  t.deepEqual(eci.calls, ['list', 'delete imc-bad'], 'b is covered by an adopted cache');
  await k.use(['c']);
  t.deepEqual(eci.calls.slice(2), ['create c', 'delete imc-old']);
  t.deepEqual(k.kept.map((c) => c.id).sort(), ['imc-1', 'imc-newer']);
});

test('a failed listing is retried on the next use', async (t) => {
  const eci = memoryEci();
  let fail = true;
  const api: ImageCacheApi = { ...eci.api, list: () => (fail ? Promise.reject(new Error('throttled')) : eci.api.list()) };
  const k = new ImageCacheKeeper(api, { tenantId: 'acme', maxCaches: () => 2, now: () => 0 });
  await t.throwsAsync(k.use(['a']), { message: 'throttled' });
  fail = false;
  await k.use(['a']);
  t.deepEqual(k.kept.map((c) => c.images), [['a']]);
});

test('podImages and cacheName: the set a cache holds, named within ECI rules', (t) => {
  const images = podImages({ spec: { initContainers: [{ name: 'i', image: 'busybox' }], containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'busybox' }] } });
  t.deepEqual(images, ['busybox', 'nginx']);
  t.regex(cacheName('Acme_Corp', images), /^ecigw-acme-corp-[0-9a-f]{12}$/);
  t.not(cacheName('acme', ['web:1']), cacheName('acme', ['web:2']));
});

const scope = (imageCaches?: { enabled: boolean; maxCaches: number }) => ({ tenantId: 'acme', clusterId: 'dc1', tenant: { imageCaches } }) as unknown as TenantScope;
for (const row of [
  { name: 'enabled, nothing asked: auto-match', cfg: { enabled: true, maxCaches: 1 }, req: {}, want: true },
  { name: 'disabled: left as the pod asked', cfg: { enabled: false, maxCaches: 1 }, req: {}, want: undefined },
  { name: 'the pod opted out (eci-auto-imc: false)', cfg: { enabled: true, maxCaches: 1 }, req: { autoMatchImageCache: false }, want: false },
  { name: 'the pod pins a cache', cfg: { enabled: true, maxCaches: 1 }, req: { imageSnapshotId: 'imc-x' }, want: undefined },
]) {
  test(`withAutoMatch: ${row.name}`, (t) => {
    const r = new $Eci.CreateContainerGroupRequest(row.req);
    withAutoMatch(scope(row.cfg), r);
    t.is(r.autoMatchImageCache, row.want);
  });
}

const config = (imageCaches: unknown) => ({
  tenants: { acme: { region: 'cn-hangzhou', credentialsRef: 'env:ACME', vSwitchId: 'vsw-aaaa1111', securityGroupId: 'sg-aaaa1111', clusterIds: ['dc1'], imageCaches } },
  certificateIdentities: { 'agent-1': 'acme' },
});

test('config: tenants.<id>.imageCaches parses with defaults; absent means none', (t) => {
  t.deepEqual(parseRelayConfig(config({})).tenants.acme.imageCaches, { enabled: true, maxCaches: 10 });
  t.deepEqual(parseRelayConfig(config({ enabled: false, maxCaches: 3 })).tenants.acme.imageCaches, { enabled: false, maxCaches: 3 });
  t.is(parseRelayConfig(config(undefined)).tenants.acme.imageCaches, undefined);
});

for (const [value, field] of [
  [{ maxCaches: 0 }, 'tenants.acme.imageCaches.maxCaches'],
  [{ maxCaches: 2.5 }, 'tenants.acme.imageCaches.maxCaches'],
  [{ enabled: 'yes' }, 'tenants.acme.imageCaches.enabled'],
  [{ maxCache: 3 }, 'tenants.acme.imageCaches.maxCache'],
  [true, 'tenants.acme.imageCaches'],
] as const) {
  test(`config: imageCaches ${JSON.stringify(value)} is refused naming ${field}`, (t) => {
    const e = t.throws(() => parseRelayConfig(config(value)), { instanceOf: ConfigError });
    t.is(e?.field, field);
  });
}

test('a cache that fails after it was made is replaced once the keeper reads ECI again (5 min)', async (t) => {
  const eci = memoryEci();
  const { k, tick } = keeper(eci, 3);
  await k.use(['web:1']);
  eci.caches.set('imc-1', { id: 'imc-1', images: ['web:1'], failed: true }); // ECI: the cache failed later
  tick(60_000);
  await k.use(['web:1']);
  t.deepEqual(eci.calls, ['list', 'create web:1'], 'within 5 min the last reading stands');
  tick(5 * 60_000);
  await k.use(['web:1']);
  t.deepEqual(eci.calls, ['list', 'create web:1', 'list', 'delete imc-1', 'create web:1']);
  t.deepEqual(k.kept.map((c) => c.id), ['imc-2']);
});
