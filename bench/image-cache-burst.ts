// The burst bench's image-cache phase: the same burst twice through the relay's EciProvider against the emulator
// (unmodified SDK, ECI's default rate limits, simulated runtime, pull model on: a cold pull of 3 s, 50 ms from a
// matched cache): first with no cache (cold: every group pulls; the relay creates a cache for the image), then,
// once that cache is Ready, with new pods of the same image (warm: created with AutoMatchImageCache, they match it).
// Time to all Running of each, from the first apply.
import { startEmulator } from '../cloud/eci-emulator/index.js';
import { DEFAULT_IMAGE_CACHE } from '../cloud/eci-emulator/image-cache.js';
import { createEciCaller } from '../cloud/eci/client.js';
import { EciProvider } from '../cloud/eci/provider/index.js';
import { $Eci } from '../cloud/eci/sdk.js';
import type { PodIntent, PodState, TenantScope } from '../cloud/pod-provider/provider.js';
import { eventually } from '../test/helpers/wait.js';

/** Cache preparation in the bench (ECI takes minutes; the figure measured here is the burst, not the wait). */
const PREPARATION_MS = 5000;

const scope: TenantScope = {
  tenantId: 'bench',
  clusterId: 'bench',
  tenant: { id: 'bench', region: 'cn-hangzhou', credentialsRef: 'bench', vSwitchId: 'vsw-bench', securityGroupId: 'sg-bench', tags: {}, quotas: { maxPods: 100_000 }, clusterIds: ['bench'], imageCaches: { enabled: true, maxCaches: 2 } },
};

function intent(prefix: string, i: number): PodIntent {
  const uid = `${prefix}-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${prefix}-${i}`, namespace: 'bench', uid }, spec: { containers: [{ name: 'app', image: 'bench/app:1', resources: { requests: { cpu: '250m', memory: '512Mi' } } }] } };
  return { uid, generation: 1, podJson: Buffer.from(JSON.stringify(pod)), volumes: {}, env: {}, imagePullCredentials: [], serviceAccountToken: Buffer.alloc(0) };
}

export async function imageCacheBurst(pods: number): Promise<{ coldMs: number; warmMs: number; warmHits: number }> {
  const emu = await startEmulator({ runtime: 'simulated' });
  const caller = createEciCaller({ tenantId: 'bench', endpoint: { endpoint: emu.endpoint, protocol: 'http', regionId: emu.regionId, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret } });
  const p = new EciProvider({ callerFor: () => caller, pollFastMs: 200 });
  try {
    emu.admin.setImageCache({ pullModel: true, uncachedPullMs: DEFAULT_IMAGE_CACHE.uncachedPullMs, cachedPullMs: DEFAULT_IMAGE_CACHE.cachedPullMs, preparationMs: PREPARATION_MS });
    const running = new Set<string>();
    p.watch(scope, (s: PodState) => void ((JSON.parse(s.statusJson.toString()) as { phase?: string }).phase === 'Running' && running.add(s.uid)));
    const burst = async (prefix: string): Promise<number> => {
      const intents = Array.from({ length: pods }, (_, i) => intent(prefix, i));
      const t0 = Date.now();
      await Promise.all(intents.map((it) => p.apply(scope, it)));
      await eventually(`${prefix} Running`, () => intents.every((it) => running.has(it.uid)), 300_000, 50);
      return Date.now() - t0;
    };
    const coldMs = await burst('cold');
    const describe = new $Eci.DescribeImageCachesRequest({ regionId: emu.regionId });
    await eventually('the image cache Ready', async () => (await caller.call('DescribeImageCaches', (c, rt) => c.describeImageCachesWithOptions(describe, rt))).body?.imageCaches?.[0]?.status === 'Ready', 60_000, 50);
    const warmMs = await burst('warm');
    // Only the warm burst can have matched: the cold one ran before any cache existed.
    const warmHits = emu.admin.listGroups().filter((g) => g.imageCacheId).length;
    return { coldMs, warmMs, warmHits };
  } finally {
    p.close();
    await emu.close();
  }
}
