// Bench (issue #7): a burst of pods bound to the virtual node at once, through a private real cluster, the
// agent and relay as separate processes (their CLIs) and the ECI emulator with its default rate limits
// (ECI's published ones; simulated runtime), the relay with its default ECI rates (which stay under them).
// Measures time to all Running against the bound set by the emulator's CreateContainerGroup bucket (its burst
// at once, the rest at its refill rate), bind→Running latency, ECI calls per pod, then agent/relay peak RSS at
// 5,000 pods. Before that, image caches (image-cache-burst.ts): time to all Running of the same burst cold and warm.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../agent/kube/pooled-kubeconfig.js';
import { percentile, type Bench } from './lib.js';
import { LocalCluster, ensureBinaries } from '../test/cluster/cluster.js';
import { defaultConfig } from '../cloud/eci-emulator/index.js';
import { bucketFor } from '../cloud/eci-emulator/limits.js';
import { startGatewayProcesses, startEmulatorProcess } from './gateway-processes.js';
import { trackPods, createBoundPods, bindPods } from './pod-tracker.js';
import { imageCacheBurst } from './image-cache-burst.js';

const NODE = 'eci-burst-bench';
const NS = 'burst';
const say = (m: string) => process.stderr.write(`[burst ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** apiserver_request_total summed by verb, resource and subresource (the API server's own count). */
async function apiRequests(cluster: LocalCluster): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const { stdout } = await cluster.kubectl(['get', '--raw', '/metrics']);
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (n: string) => new RegExp(`${n}="([^"]*)"`).exec(line)?.[1] ?? '';
    const k = `${label('verb')} ${label('resource')}${label('subresource') ? '/' + label('subresource') : ''}`;
    out.set(k, (out.get(k) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** "n=…, p50≤…s, p90≤…s, p99≤…s" from a Prometheus histogram's cumulative buckets (bucket bounds). */
function histogramSummary(text: string, name: string, labels: string): string {
  const buckets: [number, number][] = [];
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (!m[1].includes(labels)) continue;
    const le = /le="([^"]+)"/.exec(m[1])?.[1] ?? '';
    buckets.push([le === '+Inf' ? Infinity : Number(le), Number(m[2])]);
  }
  const n = buckets.find(([le]) => le === Infinity)?.[1] ?? 0;
  if (n === 0) return 'no samples';
  const q = (p: number) => buckets.find(([, c]) => c >= p * n)?.[0];
  return `n=${n}, p50≤${q(0.5)}s, p90≤${q(0.9)}s, p99≤${q(0.99)}s`;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    options: {
      pods: { type: 'string', default: '1000' },
      'rss-pods': { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '48' },
      keep: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'heap-snapshot': { type: 'boolean', default: false },
      'cache-pods': { type: 'string', default: '100' },
    },
  });
  const burstPods = Number(values.pods);
  const rssPods = Number(values['rss-pods']);
  const concurrency = Number(values.concurrency);
  // Image caches first (relay provider against an in-process emulator, no cluster): the same burst cold and warm.
  const cache = await imageCacheBurst(Number(values['cache-pods']));
  say(`image cache: ${values['cache-pods']} pods all Running in ${cache.coldMs} ms cold, ${cache.warmMs} ms warm (${cache.warmHits} matched the cache)`);
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-bench-burst-'));
  /** Undone in reverse order; each may be sync or async, and a failing one does not stop the rest. */
  const cleanups: (() => unknown)[] = [];
  try {
    const bin = await ensureBinaries();
    const cluster = new LocalCluster();
    cleanups.push(() => cluster.stop({ keepDir: true }));
    const info = await cluster.start({ dir: join(dir, 'cluster'), bin });
    say(`cluster up at ${info.server}`);
    // Real-ECI-like limits: the emulator's defaults (rate limits on), simulated containers.
    // ECI is a remote service: the emulator runs in a process of its own, not on the load generator's event loop.
    const emu = await startEmulatorProcess(join(dir, 'emulator'));
    cleanups.push(() => emu.close());
    const createBucket = bucketFor(defaultConfig().rateLimits, 'CreateContainerGroup');
    if (!createBucket) throw new Error('the emulator does not limit CreateContainerGroup by default: no bound to measure against');
    const profDir = join(dir, 'prof');
    const prof = [
      ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
      // Heap snapshots of both processes at the end (written into their working directory; use with --keep).
      ...(values['heap-snapshot'] ? ['--heapsnapshot-signal=SIGUSR2'] : []),
    ];
    const gw = await startGatewayProcesses({
      dir: join(dir, 'gateway'),
      kubeconfigPath: info.kubeconfigPath,
      clusterCaFile: info.pki.caCertPath,
      eci: { endpoint: emu.endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret },
      nodeName: NODE,
      clusterId: 'bench',
      // No eciRates: the relay's defaults, derived from ECI's published limits, pace the creates.
      agentArgs: ['--node-capacity', `cpu=100000,memory=400Ti,pods=${Math.max(rssPods, burstPods) * 2}`],
      nodeFlags: { agent: prof, relay: prof },
    });
    cleanups.push(() => gw.close());
    say(`relay pid ${gw.relayPid}, agent pid ${gw.agentPid}`);

    // The load generator keeps its connections, as a scheduler does (client-node alone would pay a TLS
    // handshake per binding, on the API server's CPU that the gateway is measured on).
    const kc = new PooledKubeConfig();
    kc.loadFromFile(info.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    await until('virtual node Ready', async () => {
      const n = await core.readNode({ name: NODE });
      return !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 60_000);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await until('default ServiceAccount', async () => !!(await core.readNamespacedServiceAccount({ name: 'default', namespace: NS })), 60_000);
    const tracker = await trackPods(kc, NS);
    cleanups.push(() => tracker.close());

    // Phase 1: the burst. Pods are created unscheduled first (the API server's create rate is not the
    // gateway's), then all bound at once through the binding subresource, as a scheduler would.
    const tc = Date.now();
    const names = await createBoundPods(core, tracker, { namespace: NS, prefix: 'b', from: 0, to: burstPods, concurrency, labels: { bench: 'burst' } });
    say(`${burstPods} unscheduled pods created in ${Date.now() - tc} ms`);
    await emu.resetStats();
    const apiBefore = await apiRequests(cluster);
    const t0 = Date.now();
    await bindPods(core, tracker, { namespace: NS, nodeName: NODE, names, concurrency });
    const createdMs = Date.now() - t0;
    say(`${burstPods} pods bound in ${createdMs} ms; ${tracker.runningAt.size} Running so far`);
    let lastLog = 0;
    await tracker.waitRunning(names, 240_000, () => {
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        const running = names.filter((n) => tracker.runningAt.has(n)).length;
        void emu.stats().then((s) => say(`  ${running}/${burstPods} Running; emulator groups ${s.groups}`), () => undefined);
      }
    });
    const allRunningMs = Math.max(...names.map((n) => tracker.runningAt.get(n) as number)) - t0;
    const stats = await emu.stats();
    const calls = Object.values(stats.callsByAction).reduce((a, b) => a + b, 0);
    const latencies = names.map((n) => (tracker.runningAt.get(n) as number) - (tracker.boundAt.get(n) as number)).sort((a, b) => a - b);
    // ECI lets the bucket's burst go at once and the rest at its refill rate: 1,000 pods = 100 + 900 at 20/s = 45 s.
    // A burst that fits in the bucket has no bound (ratio NaN).
    const boundMs = (Math.max(0, burstPods - createBucket.burst) / createBucket.perSecond) * 1000;
    say(`all ${burstPods} Running after ${allRunningMs} ms (bound ${boundMs} ms); calls ${JSON.stringify(stats.callsByAction)}; errors ${JSON.stringify(stats.errorsByCode)}`);
    const apiAfter = await apiRequests(cluster);
    const perPod = [...apiAfter]
      .map(([k, v]) => [k, (v - (apiBefore.get(k) ?? 0)) / burstPods] as const)
      .filter(([, v]) => v >= 0.05)
      .sort((a, b) => b[1] - a[1]);
    say(`API server requests per pod during the burst (bench's own bindings included): ${perPod.map(([k, v]) => `${k}=${v.toFixed(2)}`).join(', ')}`);
    say(`agent intent latency: ${histogramSummary(await gw.metrics('agent').catch(() => ''), 'ecigw_agent_intent_duration_seconds', 'op="apply",result="ok"')}`);
    const afterBurst = { agent: gw.memory('agent'), relay: gw.memory('relay') };
    say(`heap agent ${JSON.stringify(await gw.heap('agent').catch(String))} relay ${JSON.stringify(await gw.heap('relay').catch(String))}`);
    say(`memory after burst: agent ${afterBurst.agent.rssMb.toFixed(0)} MB (peak ${afterBurst.agent.hwmMb.toFixed(0)}), relay ${afterBurst.relay.rssMb.toFixed(0)} MB (peak ${afterBurst.relay.hwmMb.toFixed(0)})`);

    // Phase 2: grow to rssPods and read peak RSS of each process.
    let rss5000 = { agent: NaN, relay: NaN };
    let phase2Ms = NaN;
    if (rssPods > burstPods) {
      const t1 = Date.now();
      const more = await createBoundPods(core, tracker, { namespace: NS, nodeName: NODE, prefix: 'b', from: burstPods, to: rssPods, concurrency, labels: { bench: 'burst' } });
      say(`${more.length} more pods created in ${Date.now() - t1} ms`);
      await tracker.waitRunning([...names, ...more], 420_000, () => {
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          const a = gw.memory('agent');
          const r = gw.memory('relay');
          say(`  ${tracker.runningAt.size}/${rssPods} Running; agent ${a.rssMb.toFixed(0)} MB, relay ${r.rssMb.toFixed(0)} MB`);
        }
      });
      phase2Ms = Date.now() - t1;
      // A few status-poll and lease cycles with everything Running, then read the peaks.
      await new Promise((r) => setTimeout(r, 15_000));
      const a = gw.memory('agent');
      const r = gw.memory('relay');
      rss5000 = { agent: a.hwmMb, relay: r.hwmMb };
      say(`heap agent ${JSON.stringify(await gw.heap('agent').catch(String))} relay ${JSON.stringify(await gw.heap('relay').catch(String))}`);
      say(`${rssPods} Running after ${phase2Ms} ms; agent ${a.rssMb.toFixed(0)} MB now, peak ${a.hwmMb.toFixed(0)}; relay ${r.rssMb.toFixed(0)} MB now, peak ${r.hwmMb.toFixed(0)}`);
    }
    if (values['heap-snapshot']) {
      process.kill(gw.agentPid, 'SIGUSR2');
      process.kill(gw.relayPid, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 20_000));
      say(`heap snapshots written under ${join(dir, 'gateway')}`);
    }
    writeFileSync(join(dir, 'latencies.json'), JSON.stringify({ latencies, createdMs, allRunningMs, stats }));
    return {
      metrics: {
        burst_time_ratio: boundMs > 0 ? allRunningMs / boundMs : NaN,
        burst_all_running_ms: allRunningMs,
        burst_bind_pods_ms: createdMs,
        bind_to_running_p50_ms: percentile(latencies, 50),
        bind_to_running_p99_ms: percentile(latencies, 99),
        eci_calls_per_pod: calls / burstPods,
        agent_rss_mb_5000: rss5000.agent,
        relay_rss_mb_5000: rss5000.relay,
        grow_to_5000_ms: phase2Ms,
        burst_cold_cache_all_running_ms: cache.coldMs,
        burst_warm_cache_all_running_ms: cache.warmMs,
        burst_warm_cache_hits: cache.warmHits,
      },
      targets: {
        burst_time_ratio: { max: 1.25 },
        agent_rss_mb_5000: { max: 150 },
        relay_rss_mb_5000: { max: 200 },
      },
    };
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch((e) => say(`cleanup: ${String(e)}`));
    if (values.keep) say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
