// ECI provider bench against the ECI emulator (simulated runtime, unmodified SDK on the wire):
//  1. create_rate_ratio: pods created per second as a fraction of the emulator's configured create limit
//     (measured in this run), and eci_calls_per_pod (every ECI call from apply until the pod is Running);
//  2. read_calls_per_pod_minute: DescribeContainerGroups calls per pod per minute at steady state with 5,000
//     stable groups (created through the SDK with the provider's requests, then adopted by the provider), measured over a 60 s window (pass `--window-s N` to change) and extrapolated to a minute;
//  3. duplicate_groups / orphan_groups after a burst with 20% injected 5xx plus throttling, then deleting all.
// Every phase is bounded in count and time.
import type { Bench } from './lib.js';
import { startEmulator, type EmulatorHandle } from '../cloud/eci-emulator/index.js';
import { createEciCaller, type TenantEciCaller } from '../cloud/eci/client.js';
import { EciProvider } from '../cloud/eci/provider/index.js';
import type { ActionRate } from '../cloud/eci/rate-limit.js';
import { buildCreate, decodeIntent } from '../cloud/eci/provider/intent.js';
import type { EciAction } from '../cloud/eci/api.js';
import type { PodIntent, PodState, TenantScope } from '../cloud/pod-provider/provider.js';

const CREATE_LIMIT = 50; // emulator CreateContainerGroup limit for phase 1 (calls/s)
const RATE_PODS = CREATE_LIMIT * 8;
const STEADY_PODS = 5000;
const FAULT_PODS = 150;

function scope(tenantId: string): TenantScope {
  return {
    tenantId,
    clusterId: `cluster-${tenantId}`,
    tenant: { id: tenantId, region: 'cn-hangzhou', credentialsRef: 'bench', vSwitchId: 'vsw-bench', securityGroupId: 'sg-bench', tags: { 'ecigw.io/tenant': tenantId }, quotas: { maxPods: 100_000 }, clusterIds: [`cluster-${tenantId}`] },
  };
}

function intent(prefix: string, i: number): PodIntent {
  const uid = `${prefix}-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${prefix}-${i}`, namespace: 'bench', uid }, spec: { containers: [{ name: 'main', image: 'pause', resources: { requests: { cpu: '250m', memory: '512Mi' } } }] } };
  return { uid, generation: 1, podJson: Buffer.from(JSON.stringify(pod)), volumes: {}, env: {}, imagePullCredentials: [], serviceAccountToken: Buffer.alloc(0) };
}

const phaseOf = (s: PodState) => (JSON.parse(s.statusJson.toString()) as { phase?: string }).phase;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sumCalls = (emu: EmulatorHandle) => Object.values(emu.admin.stats().callsByAction).reduce((a, b) => a + b, 0);

function provider(emu: EmulatorHandle, rates: Partial<Record<EciAction, ActionRate>>, opts: { pollFastMs?: number; pollSlowMs?: number } = {}): EciProvider {
  const callers = new Map<string, TenantEciCaller>();
  return new EciProvider({
    callerFor: (s) => {
      let c = callers.get(s.tenantId);
      if (!c) {
        c = createEciCaller({ tenantId: s.tenantId, endpoint: { endpoint: emu.endpoint, protocol: 'http', regionId: emu.regionId, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret }, rates, retry: { maxAttempts: 10, baseDelayMs: 50, maxDelayMs: 2000, maxTotalMs: 30_000 } });
        callers.set(s.tenantId, c);
      }
      return c;
    },
    ...opts,
  });
}

/** Applies every intent (re-applying failures like the agent does, at most `rounds` times); returns failures left. */
async function applyAll(p: EciProvider, sc: TenantScope, intents: PodIntent[], rounds = 5): Promise<number> {
  let todo = intents;
  for (let r = 0; r < rounds && todo.length > 0; r++) {
    const res = await Promise.allSettled(todo.map((it) => p.apply(sc, it)));
    todo = todo.filter((_, i) => res[i].status === 'rejected');
  }
  return todo.length;
}

async function until(what: string, fn: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}

const startedAt = Date.now();
const note = (what: string) => console.error(`provider bench +${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${what}`);

const bench: Bench = async (args) => {
  const wi = args.indexOf('--window-s');
  const windowMs = (wi >= 0 ? Number(args[wi + 1]) : 60) * 1000;
  const emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 50, pendingMs: 0 }, rateLimits: { CreateContainerGroup: CREATE_LIMIT, DescribeContainerGroups: 1000, DeleteContainerGroup: 1000 } } });
  try {
    // 1. Create rate against the emulator's create limit; ECI calls per pod until Running.
    const s1 = scope('rate');
    const p1 = provider(emu, { CreateContainerGroup: { perSecond: CREATE_LIMIT, burst: CREATE_LIMIT / 5 }, DescribeContainerGroups: { perSecond: 900 } });
    const running1 = new Set<string>();
    p1.watch(s1, (s) => phaseOf(s) === 'Running' && running1.add(s.uid));
    const intents1 = Array.from({ length: RATE_PODS }, (_, i) => intent('rate0000', i));
    emu.admin.resetStats();
    const t0 = Date.now();
    const failed1 = await applyAll(p1, s1, intents1, 1);
    const createSeconds = (Date.now() - t0) / 1000;
    await until('phase 1 Running', () => running1.size >= RATE_PODS, 60_000);
    await sleep(1500); // settle: the last fast polls
    const callsPerPod = sumCalls(emu) / RATE_PODS;
    const createRatio = failed1 === 0 ? RATE_PODS / createSeconds / CREATE_LIMIT : 0;
    p1.close();
    note(`phase 1 done: ${createRatio.toFixed(3)} of the create limit, ${callsPerPod.toFixed(2)} calls/pod`);

    // 2. Steady-state reads with 5,000 stable groups (default cadences: 1 s fast, 15 s slow).
    emu.admin.setRateLimits({ CreateContainerGroup: 1000, DescribeContainerGroups: 1000 });
    const s2 = scope('steady');
    const p2 = provider(emu, { CreateContainerGroup: { perSecond: 900 }, DescribeContainerGroups: { perSecond: 900 } });
    const running2 = new Set<string>();
    p2.watch(s2, (s) => phaseOf(s) === 'Running' && running2.add(s.uid));
    const intents2 = Array.from({ length: STEADY_PODS }, (_, i) => intent('stdy0000', i));
    // The groups are created straight through the tenant's caller with the provider's own requests (the create
    // path is measured in phase 1); the provider then adopts them from their tags like a restarted relay.
    const creator = createEciCaller({ tenantId: 'steady-seed', endpoint: { endpoint: emu.endpoint, protocol: 'http', regionId: emu.regionId, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret }, rates: { CreateContainerGroup: { perSecond: 900 } } });
    let next = 0;
    let failed2 = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < intents2.length) {
        const it = intents2[next++];
        const { request } = buildCreate(decodeIntent(s2, it), 1);
        await creator.call('CreateContainerGroup', (c, rt) => c.createContainerGroupWithOptions(request, rt)).catch(() => failed2++);
      }
    }));
    await p2.list(s2);
    note(`phase 2: ${STEADY_PODS} groups created (${failed2} failed) and adopted`);
    await until('phase 2 Running', () => running2.size >= STEADY_PODS, 90_000);
    note('phase 2: all Running');
    await sleep(3000);
    const r0 = p2.readCalls;
    await sleep(windowMs);
    const readsPerPodMinute = failed2 === 0 ? ((p2.readCalls - r0) / STEADY_PODS) * (60_000 / windowMs) : Infinity;
    p2.close();
    note(`phase 2 done: ${readsPerPodMinute.toFixed(3)} reads/pod/min`);

    // 3. 20% injected 5xx on create/describe/delete, creates throttled (caller faster than the emulator), then delete all.
    emu.admin.setRateLimits({ CreateContainerGroup: 40, DescribeContainerGroups: 1000, DeleteContainerGroup: 40 });
    emu.admin.setFaults({ CreateContainerGroup: { errorRate: 0.2 }, DescribeContainerGroups: { errorRate: 0.2 }, DeleteContainerGroup: { errorRate: 0.2 } });
    const s3 = scope('fault');
    const p3 = provider(emu, { CreateContainerGroup: { perSecond: 60 }, DeleteContainerGroup: { perSecond: 60 }, DescribeContainerGroups: { perSecond: 900 } }, { pollFastMs: 500 });
    const latest = new Map<string, PodState>();
    p3.watch(s3, (s) => latest.set(s.uid, s));
    const intents3 = Array.from({ length: FAULT_PODS }, (_, i) => intent('flt00000', i));
    const failed3 = await applyAll(p3, s3, intents3);
    await until('phase 3 Running', () => intents3.every((it) => latest.get(it.uid) && phaseOf(latest.get(it.uid)!) === 'Running'), 90_000);
    const names = emu.admin.listGroups().filter((g) => g.name.startsWith('bench-flt00000-'));
    const duplicates = names.length - new Set(names.map((g) => g.name)).size;
    let toDelete = intents3.map((it) => it.uid);
    for (let r = 0; r < 5 && toDelete.length > 0; r++) {
      const res = await Promise.allSettled(toDelete.map((uid) => p3.delete(s3, uid, 0)));
      toDelete = toDelete.filter((_, i) => res[i].status === 'rejected');
    }
    await until('phase 3 gone', () => intents3.every((it) => latest.get(it.uid)?.gone), 90_000).catch(() => undefined);
    emu.admin.setFaults({});
    const orphans = emu.admin.listGroups().filter((g) => g.name.startsWith('bench-flt00000-')).length;
    p3.close();
    console.error(`provider bench: create ${RATE_PODS} pods in ${createSeconds.toFixed(1)} s (limit ${CREATE_LIMIT}/s); ${FAULT_PODS} faulted pods: ${failed3} apply failures left, ${names.length} groups`);

    return {
      metrics: {
        create_rate_ratio: createRatio,
        eci_calls_per_pod: callsPerPod,
        read_calls_per_pod_minute: readsPerPodMinute,
        duplicate_groups: failed3 === 0 ? duplicates : FAULT_PODS,
        orphan_groups: orphans,
      },
      targets: {
        create_rate_ratio: { min: 0.9 },
        // 5,000 groups / 20 per page = 250 calls every 15 s = 0.2; ≤ 1 leaves room for fast polls of changing pods.
        read_calls_per_pod_minute: { max: 1 },
        duplicate_groups: { max: 0 },
        orphan_groups: { max: 0 },
      },
    };
  } finally {
    // The emulator's close() does not return while groups still exist (reported); the runner exits the process.
    if (emu.admin.stats().groups === 0) await emu.close();
  }
};

export default bench;
