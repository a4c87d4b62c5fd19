// Image caches end to end at the provider: the relay's EciProvider against the emulator (unmodified SDK, simulated
// runtime, pull model on). A first burst of an image pulls cold and makes the relay create a cache for it; once the
// cache is Ready, a second burst of the same image is created with AutoMatchImageCache, matches it and pulls in a
// fraction of the time, as the emulator reports per group. A new image (a Deployment's image changed) gets a cache too.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { createEciCaller } from '../../../../cloud/eci/client.js';
import { EciProvider } from '../../../../cloud/eci/provider/index.js';
import type { PodIntent, PodState, TenantScope } from '../../../../cloud/pod-provider/provider.js';
import { $Eci, sdkClient, waitFor } from '../../eci-emulator/sdk.js';

let h: EmulatorHandle;
test.before(async () => {
  h = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 20, pendingMs: 0 } } });
  h.admin.setImageCache({ pullModel: true, uncachedPullMs: 1500, cachedPullMs: 10, preparationMs: 300 });
});
test.after.always(async () => {
  await h?.close();
});

const scope: TenantScope = {
  tenantId: 'acme',
  clusterId: 'dc1',
  tenant: { id: 'acme', region: 'cn-hangzhou', credentialsRef: 'test', vSwitchId: 'vsw-test', securityGroupId: 'sg-test', tags: {}, quotas: { maxPods: 1000 }, clusterIds: ['dc1'], imageCaches: { enabled: true, maxCaches: 2 } },
};

function intent(name: string, i: number, image: string): PodIntent {
  const uid = `${name}-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-${i}`, namespace: 'default', uid }, spec: { containers: [{ name: 'app', image }] } };
  return { uid, generation: 1, podJson: Buffer.from(JSON.stringify(pod)), volumes: {}, env: {}, imagePullCredentials: [], serviceAccountToken: Buffer.alloc(0) };
}

const phase = (s: PodState) => (JSON.parse(s.statusJson.toString()) as { phase?: string }).phase;

test('a second burst of the same image matches the cache the relay made and pulls fast', async (t) => {
  const caller = createEciCaller({ tenantId: 'acme', endpoint: { endpoint: h.endpoint, protocol: 'http', regionId: h.regionId, accessKeyId: h.accessKeyId, accessKeySecret: h.accessKeySecret } });
  const p = new EciProvider({ callerFor: () => caller, pollFastMs: 100 });
  t.teardown(() => p.close());
  const running = new Set<string>();
  p.watch(scope, (s) => void (phase(s) === 'Running' && running.add(s.uid)));
  const burst = async (name: string, image: string, n: number) => {
    const intents = Array.from({ length: n }, (_, i) => intent(name, i, image));
    const ids = (await Promise.all(intents.map((it) => p.apply(scope, it)))).map((r) => r.providerId);
    await waitFor(`${name} Running`, () => intents.every((it) => running.has(it.uid)), 30_000);
    return h.admin.listGroups().filter((g) => ids.includes(g.id));
  };
  const sdk = sdkClient(h);
  const caches = async () => (await sdk.describeImageCaches(new $Eci.DescribeImageCachesRequest({ regionId: h.regionId }))).body.imageCaches ?? [];

  const cold = await burst('cold', 'web:1', 5);
  t.deepEqual(cold.map((g) => g.imagePullMs), [1500, 1500, 1500, 1500, 1500]);
  const [cache] = await waitFor('the relay created one cache', async () => ((await caches()).length === 1 ? caches() : undefined));
  t.deepEqual(cache.images, ['web:1']);
  t.deepEqual(cache.tags?.map((x) => [x.key, x.value]), [['ecigw.io/tenant-id', 'acme']]);
  await waitFor('cache Ready', async () => (await caches())[0]?.status === 'Ready');

  const warm = await burst('warm', 'web:1', 5);
  t.deepEqual(warm.map((g) => g.imagePullMs), [10, 10, 10, 10, 10], 'the cache matched: the emulator reports the cached pull');
  t.true(warm.every((g) => g.imageCacheId === cache.imageCacheId));
  t.is((await caches()).length, 1, 'a covered image set creates no other cache');

  const next = await burst('next', 'web:2', 1);
  t.is(next[0].imagePullMs, 1500, 'a new image pulls cold the first time');
  await waitFor('a cache for the new image', async () => (await caches()).some((c) => c.images?.includes('web:2')));
});
