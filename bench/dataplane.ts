// Bench: the data plane of networking mode `tunnel`. A Deployment of burst pods runs a small server of its own
// (support/dataplane-server.ts) under the emulator's process runtime; a ClusterIP Service selects them, and the
// agent (a real process, the images' V8 flags, `--network-mode tunnel`) publishes one listener per pod and port
// in its EndpointSlices, at the address of a test host in a network namespace (the API server refuses loopback
// endpoints). The bench connects to those listeners on 127.0.0.1 (as kube-proxy would after its DNAT); each
// connection is a ServiceConnection stream to the relay (plus a data connection when the relay has a data
// port), and the relay dials the pod's own address. Every figure has its baseline in the same run: the same
// pod server reached directly on its address (127.10.x.y), or the same measurement without the load.
//
// Outbound (burst pods reaching an exported on-prem Service): the tenant has egress settings, so a burst pod
// gets the egress sidecar (cloud/egress, run for real by the process runtime, its DNS on the group's address);
// the pod's container is this bench's load client in runner mode (support/dataplane-client.ts `serve`), which
// connects back to the bench and runs each job as a process of its own inside the pod's mount namespace,
// where /etc/resolv.conf names the sidecar. The on-prem server is the same server program on 127.0.0.1 in a
// process of its own (support/dataplane-onprem.ts), behind a Service without a selector whose EndpointSlice
// names a test host in a network namespace forwarded to it. Through the gateway: pod → <svc>.<ns> (the
// sidecar's DNS, its loopback listener) → Connect stream to the relay's egress listener → the agent's
// EgressConnection → the agent dials the endpoint → the forward → the server. The baseline is the same pod
// process connecting to the endpoint's address itself (the same forward, so only the gateway differs), and
// for context to the server's loopback ports (no forward).
//
// Sections (`--only`): in-rtt, conns, in-throughput, hol, out-rtt, out-throughput. Inbound metrics are
// `dp_in_*`, `dp_conns_*` and `dp_hol_*`; outbound `dp_out_*`. Only what the chosen sections need is set up.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, type V1EndpointSlice } from '@kubernetes/client-node';
import type { Bench, Metrics, Target } from './lib.js';
import { LocalCluster, ensureBinaries, type ClusterInfo } from '../test/cluster/cluster.js';
import { startNetnsHost } from '../test/helpers/netns-host.js';
import { SLICE_MANAGER } from '../agent/service-traffic/slices.js';
import { startEmulatorProcess, startGatewayProcesses, type GatewayProcesses } from './gateway-processes.js';
import { cpuPerGiB, cpuSnapshot, formatCpu } from './support/cpu-account.js';
import { BULK_PORT, ECHO_PORT, POD_MARKER, POD_SERVER } from './support/dataplane-server.js';
import { CLIENT, runClient, startBulk, startHold, startPodRunner, type Address, type Latency, type PodRunner, type Transfer } from './support/dataplane-load.js';
import { startOnPrem, withDescendants, type OnPrem } from './support/dataplane-onprem.js';
import { startHopFloor } from './support/hop-floor-chain.js';
import { EXPORT_ANNOTATION } from '../agent/service-traffic/exports.js';

const say = (m: string) => process.stderr.write(`[dataplane ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const SERVICE = 'dp';
/** The exported on-prem Service (no selector) and the burst pod that reaches it. */
const OUT_SERVICE = 'onprem';
const OUT_POD = 'dp-out-load';

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const v = await check().catch((e: unknown) => void (last = (e as Error).message));
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A pod as the bench reaches it: through the agent's listeners (`via`) and on its own address (`direct`). */
interface PodPaths {
  name: string;
  address: string;
  via: { echo: Address; bulk: Address };
  direct: { echo: Address; bulk: Address };
}

/** The outbound path's ends: the runner in the burst pod and the on-prem server. */
interface Outbound {
  runner: PodRunner;
  onPrem: OnPrem;
  /** The exported Service as the pod names it: `<svc>.<ns>` (through its resolver's search path). */
  name: string;
  /** The egress sidecar's processes (found by their environment: root reads /proc). */
  sidecarPids: number[];
}

interface Context {
  gw: GatewayProcesses;
  /** The inbound pods (none when no inbound section runs). */
  pods: PodPaths[];
  /** Set up when an outbound section runs. */
  out?: Outbound;
  opts: { mb: number; outMb: number; rounds: number; conns: number; connsConcurrency: number; rttCount: number; bulkStop: 'fin' | 'reset' };
  /** The run's scratch directory. */
  dir: string;
}

/** One part of the bench: its metrics, and the targets that hold whether or not it ran (a partial run fails). */
interface Section {
  name: string;
  /** What it needs set up: the inbound Deployment and Service, or the outbound pod and on-prem Service. */
  side: 'in' | 'out';
  run(ctx: Context): Promise<Metrics>;
  targets(ctx: Pick<Context, 'opts'>): Record<string, Target>;
}

/** A sample (Prometheus text format) without labels or with exactly `labels`; NaN when absent. */
function sample(text: string, name: string, labels = ''): number {
  const m = new RegExp(`^${name}${labels ? `\\{${labels.replace(/[{}]/g, '\\$&')}\\}` : '(?:\\{\\})?'} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** The relay's data connections by outcome (claimed, source_pending, ...). */
function dataOutcomes(relayMetrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of relayMetrics.matchAll(/^ecigw_relay_data_connections_total\{outcome="([^"]+)"\} (\S+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/**
 * The agent's and relay's event-loop delay since the previous call (prom-client resets its histogram at each
 * scrape: call once to start a period) and their major GC seconds so far.
 */
async function vitals(gw: GatewayProcesses): Promise<{ agentLoopMaxMs: number; relayLoopMaxMs: number; agentMajorGcS: number; relayMajorGcS: number }> {
  const [a, r] = [await gw.metrics('agent'), await gw.metrics('relay')];
  const gc = (t: string) => sample(t, 'nodejs_gc_duration_seconds_sum', 'kind="major"') || 0; // absent before the first
  return { agentLoopMaxMs: sample(a, 'nodejs_eventloop_lag_max_seconds') * 1000, relayLoopMaxMs: sample(r, 'nodejs_eventloop_lag_max_seconds') * 1000, agentMajorGcS: gc(a), relayMajorGcS: gc(r) };
}

const openServiceConnections = async (gw: GatewayProcesses) => sample(await gw.metrics('agent'), 'ecigw_agent_service_connections_open');

/** Waits until the agent holds no Service connection (the previous section's are gone). */
async function drained(gw: GatewayProcesses): Promise<void> {
  await until('the agent to hold no Service connection', async () => (await openServiceConnections(gw)) === 0, 60_000);
}

/** What the pod behind a bulk port says its address is. */
function whoami(t: Address): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: t.host, port: t.port });
    let text = '';
    s.setTimeout(10_000, () => s.destroy(new Error(`whoami on ${t.host}:${t.port}: no answer`)));
    s.on('connect', () => s.write('whoami\n'));
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('end', () => (s.destroy(), resolve(text.trim())));
    s.on('error', reject);
  });
}

const mbs = (t: Transfer) => t.bytes / t.seconds / 1e6;
const f1 = (n: number) => n.toFixed(1);
const lat = (l: Latency) => `p50 ${l.p50.toFixed(3)} p99 ${l.p99.toFixed(3)} max ${l.max.toFixed(1)} ms (n=${l.n})`;

/**
 * The best of `rounds` transfers (these machines are noisy; both sides of a ratio get the same number of tries),
 * or of those begun within `budgetMs` (at least one: a slow path gets fewer tries rather than minutes more).
 */
async function best(rounds: number, run: () => Promise<Transfer>, budgetMs = Infinity): Promise<Transfer> {
  const t0 = Date.now();
  let top = await run();
  for (let i = 1; i < rounds && Date.now() - t0 < budgetMs; i++) {
    const r = await run();
    if (mbs(r) > mbs(top)) top = r;
  }
  return top;
}

/** The pod servers' processes (their command line carries POD_MARKER). */
function podPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(POD_MARKER)) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The inbound path's processes: agent, relay, pod servers and the bench with its reaped load generators. */
const inboundRoles = (gw: GatewayProcesses) => new Map<number, string>([[gw.agentPid, 'agent'], [gw.relayPid, 'relay'], [process.pid, 'load generator'], ...podPids().map((p) => [p, 'pod server'] as [number, string])]);

/** The outbound path's: the load client in the pod (its runner, which reaps it), sidecar, relay, agent, the on-prem end (server, forward). */
const outboundRoles = (gw: GatewayProcesses, out: Outbound) =>
  new Map<number, string>([
    ...withDescendants(out.runner.hello.pid).map((p) => [p, 'pod load client'] as [number, string]),
    ...out.sidecarPids.map((p) => [p, 'egress sidecar'] as [number, string]),
    [gw.relayPid, 'relay'],
    [gw.agentPid, 'agent'],
    ...out.onPrem.pids().map((p) => [p, 'on-prem server + forward'] as [number, string]),
  ]);

/**
 * Runs `fn` (moving `bytes`, or what `bytes()` says when it is done) and returns the CPU seconds per GiB of the
 * processes on the path (`roles`, by pid; other work on a shared machine is left out).
 */
async function accounted<T>(roles: Map<number, string>, label: string, bytes: number | (() => number), fn: () => Promise<T>): Promise<{ result: T; cpuPerGiB: number }> {
  const ours = (snap: ReturnType<typeof cpuSnapshot>) => {
    const kept: ReturnType<typeof cpuSnapshot> = new Map();
    for (const [pid, v] of snap) if (roles.has(pid)) kept.set(pid, { ...v, role: roles.get(pid) as string });
    return kept;
  };
  const before = ours(cpuSnapshot());
  const result = await fn();
  const rows = cpuPerGiB(before, ours(cpuSnapshot()), typeof bytes === 'number' ? bytes : bytes());
  const total = rows.reduce((a, r) => a + r.secondsPerGiB, 0);
  say(`  CPU s/GiB ${label}: ${formatCpu(rows)} (total ${total.toFixed(2)})`);
  return { result, cpuPerGiB: total };
}

const rttJob = (target: Address, count: number, maxMs: number) => ({ mode: 'rtt' as const, target, size: 64, count, warmup: 100, maxMs });

const SECTIONS: Section[] = [
  {
    // Small request/response round trips on one persistent connection, and new connections (connect + one
    // echo), through the listener and to the pod's own address.
    name: 'in-rtt',
    side: 'in',
    async run({ pods, opts }) {
      const p = pods[0];
      const direct = await runClient(rttJob(p.direct.echo, opts.rttCount, 10_000));
      const via = await runClient(rttJob(p.via.echo, opts.rttCount, 10_000));
      say(`round trip of 64 bytes: through the agent ${lat(via)}; direct ${lat(direct)}`);
      const connDirect = await runClient({ mode: 'connect', target: p.direct.echo, count: 200, maxMs: 10_000 });
      const connVia = await runClient({ mode: 'connect', target: p.via.echo, count: 200, maxMs: 10_000 });
      say(`new connection + first echo: through the agent ${lat(connVia)}; direct ${lat(connDirect)}`);
      return {
        dp_in_rtt_p50_ms: via.p50,
        dp_in_rtt_p99_ms: via.p99,
        dp_in_direct_rtt_p50_ms: direct.p50,
        dp_in_direct_rtt_p99_ms: direct.p99,
        dp_in_rtt_samples: via.n,
        dp_in_connect_p50_ms: connVia.p50,
        dp_in_connect_p99_ms: connVia.p99,
        dp_in_direct_connect_p50_ms: connDirect.p50,
        dp_in_direct_connect_p99_ms: connDirect.p99,
      };
    },
    targets: () => ({}),
  },
  {
    // N idle connections open at once through the listeners (round robin over the pods), each checked end to
    // end by one echo when it opens and one more after the memory is read; agent + relay RSS before and with them.
    name: 'conns',
    side: 'in',
    async run({ gw, pods, opts }) {
      const n = opts.conns;
      await drained(gw);
      const rss = () => ({ agent: gw.memory('agent').rssMb, relay: gw.memory('relay').rssMb });
      const before = rss();
      const dataBefore = dataOutcomes(await gw.metrics('relay'));
      let peak = before.agent + before.relay;
      const sampler = setInterval(() => (peak = Math.max(peak, gw.memory('agent').rssMb + gw.memory('relay').rssMb)), 250);
      let held: Awaited<ReturnType<typeof startHold>>;
      try {
        held = await startHold({ mode: 'hold', targets: pods.map((p) => p.via.echo), count: n, concurrency: opts.connsConcurrency, maxMs: 120_000 });
      } finally {
        clearInterval(sampler);
      }
      const after = rss();
      peak = Math.max(peak, after.agent + after.relay);
      const agentOpen = await openServiceConnections(gw);
      const relaySessions = sample(await gw.metrics('relay'), 'ecigw_relay_sessions_active', 'kind="service"');
      const end = await held.stop();
      const dataAfter = dataOutcomes(await gw.metrics('relay'));
      const refused = Object.entries(dataAfter).filter(([k]) => k !== 'claimed').reduce((a, [k, v]) => a + v - (dataBefore[k] ?? 0), 0);
      const claimed = (dataAfter.claimed ?? 0) - (dataBefore.claimed ?? 0);
      const growth = after.agent + after.relay - (before.agent + before.relay);
      say(
        `${held.up.up}/${n} connections up in ${(held.up.ms / 1000).toFixed(1)} s (${held.up.failed} failed${held.up.failed ? `: ${JSON.stringify(held.up.errors)}` : ''}); ` +
          `agent counts ${agentOpen} open, relay ${relaySessions} Service sessions; data connections claimed ${claimed}, refused or unused ${refused} (${JSON.stringify(dataAfter)})`,
      );
      say(`RSS agent ${f1(before.agent)} -> ${f1(after.agent)} MB, relay ${f1(before.relay)} -> ${f1(after.relay)} MB (peak together ${f1(peak)}); ${end.alive}/${held.up.up} answered again, ${end.closedEarly} closed while held`);
      await drained(gw);
      return {
        [`dp_conns_${n}_rss_mb`]: growth,
        [`dp_conns_${n}_rss_before_mb`]: before.agent + before.relay,
        [`dp_conns_${n}_rss_after_mb`]: after.agent + after.relay,
        [`dp_conns_${n}_rss_peak_mb`]: peak,
        [`dp_conns_${n}_agent_rss_mb`]: after.agent - before.agent,
        [`dp_conns_${n}_relay_rss_mb`]: after.relay - before.relay,
        [`dp_conns_${n}_kb_per_conn`]: held.up.up ? (growth * 1024) / held.up.up : NaN,
        [`dp_conns_${n}_connected`]: held.up.up,
        [`dp_conns_${n}_alive`]: end.alive,
        [`dp_conns_${n}_open_s`]: held.up.ms / 1000,
        [`dp_conns_${n}_data_refused`]: refused,
      };
    },
    targets: ({ opts }) => ({ [`dp_conns_${opts.conns}_connected`]: { min: opts.conns }, [`dp_conns_${opts.conns}_alive`]: { min: opts.conns } }),
  },
  {
    // Bulk bytes: one connection downloading (pod → client) and uploading, then 8 connections downloading at
    // once over the pods; through the listeners and directly to the same pod servers.
    name: 'in-throughput',
    side: 'in',
    async run({ gw, pods, opts, dir }) {
      const bytes = opts.mb * 2 ** 20;
      const p = pods[0];
      const one = (direction: 'down' | 'up', t: Address, n = bytes) => () => runClient({ mode: 'transfer', direction, targets: [t], bytes: n, maxMs: 120_000 });
      await drained(gw);
      // Warm-up (TCP windows, JIT on both paths), not counted.
      await one('down', p.direct.bulk, 32 << 20)();
      await one('down', p.via.bulk, 32 << 20)();
      const direct = await accounted(inboundRoles(gw), 'download direct', opts.rounds * bytes, () => best(opts.rounds, one('down', p.direct.bulk)));
      const via = await accounted(inboundRoles(gw), 'download through the agent', opts.rounds * bytes, () => best(opts.rounds, one('down', p.via.bulk)));
      // The same hops with nothing but pipe() in them (hop-floor.ts): what the path costs on this machine.
      const floorChain = await startHopFloor(dir, p.direct.bulk);
      const floor = await (async () => {
        try {
          await one('down', floorChain.address, 32 << 20)();
          const roles = new Map([...inboundRoles(gw), [floorChain.edgePid, 'floor plain end'], [floorChain.tlsPid, 'floor TLS end']]);
          return await accounted(roles, 'download through the floor', opts.rounds * bytes, () => best(opts.rounds, one('down', floorChain.address)));
        } finally {
          await floorChain.close();
        }
      })();
      say(`one connection, download ${opts.mb} MiB: through the agent ${f1(mbs(via.result))} MB/s vs direct ${f1(mbs(direct.result))} MB/s; the same hops with bare pipes ${f1(mbs(floor.result))} MB/s`);
      const upDirect = await best(opts.rounds, one('up', p.direct.bulk));
      const upVia = await best(opts.rounds, one('up', p.via.bulk));
      say(`one connection, upload ${opts.mb} MiB: through the agent ${f1(mbs(upVia))} MB/s vs direct ${f1(mbs(upDirect))} MB/s`);
      const eight = (path: 'via' | 'direct') => () =>
        runClient({ mode: 'transfer', direction: 'down', targets: Array.from({ length: 8 }, (_, i) => pods[i % pods.length][path].bulk), bytes: bytes / 4, maxMs: 120_000 });
      const aggDirect = await best(opts.rounds, eight('direct'));
      const aggVia = await best(opts.rounds, eight('via'));
      say(`8 connections over ${pods.length} pods, ${opts.mb / 4} MiB each: through the agent ${f1(mbs(aggVia))} MB/s vs direct ${f1(mbs(aggDirect))} MB/s`);
      return {
        dp_in_throughput_ratio: mbs(via.result) / mbs(direct.result),
        dp_in_mb_s: mbs(via.result),
        dp_in_direct_mb_s: mbs(direct.result),
        dp_in_cpu_s_per_gib: via.cpuPerGiB,
        dp_in_direct_cpu_s_per_gib: direct.cpuPerGiB,
        dp_in_floor_mb_s: mbs(floor.result),
        dp_in_floor_ratio: mbs(floor.result) / mbs(direct.result),
        dp_in_vs_floor_ratio: mbs(via.result) / mbs(floor.result),
        dp_in_floor_cpu_s_per_gib: floor.cpuPerGiB,
        dp_in_upload_ratio: mbs(upVia) / mbs(upDirect),
        dp_in_upload_mb_s: mbs(upVia),
        dp_in_direct_upload_mb_s: mbs(upDirect),
        dp_in_aggregate_mb_s: mbs(aggVia),
        dp_in_direct_aggregate_mb_s: mbs(aggDirect),
        dp_in_aggregate_ratio: mbs(aggVia) / mbs(aggDirect),
      };
    },
    // Five hops (client → listener, agent, data connection or tunnel, relay, relay → pod) against one loopback copy.
    targets: () => ({ dp_in_throughput_ratio: { min: 0.3 } }),
  },
  {
    // Head-of-line blocking: the small round trip's p99 on one connection, quiet and while another connection
    // through the same agent (to another pod when there is one) downloads or uploads as fast as it can. The
    // same on the direct path says what the machine's CPU alone adds (everything shares 2 cores here).
    name: 'hol',
    side: 'in',
    async run({ gw, pods, opts }) {
      const echo = pods[0];
      const bulkPod = pods[1 % pods.length];
      const count = opts.rttCount * 2;
      const measure = async (path: 'via' | 'direct', direction: 'down' | 'up') => {
        await vitals(gw); // starts the quiet period's event-loop figures
        const quiet = await runClient(rttJob(echo[path].echo, count, 5_000));
        const calm = await vitals(gw);
        const bulk = await startBulk({ mode: 'bulk', direction, target: bulkPod[path].bulk, warmBytes: 16 << 20, maxMs: 60_000, stop: opts.bulkStop });
        const start = await vitals(gw).catch(async (e: unknown) => {
          await bulk.stop().catch(() => undefined);
          throw e;
        });
        const loaded = await runClient(rttJob(echo[path].echo, count, 5_000)).catch(async (e: unknown) => {
          await bulk.stop().catch(() => undefined);
          throw e;
        });
        const busy = await vitals(gw);
        const moved = await bulk.stop();
        const gcMs = { agent: (busy.agentMajorGcS - start.agentMajorGcS) * 1000, relay: (busy.relayMajorGcS - start.relayMajorGcS) * 1000 };
        say(`${path === 'via' ? 'through the agent' : 'direct'}, bulk ${direction} at ${f1(mbs(moved))} MB/s: quiet ${lat(quiet)}; loaded ${lat(loaded)}`);
        say(
          `  event-loop delay max quiet/loaded: agent ${f1(calm.agentLoopMaxMs)}/${f1(busy.agentLoopMaxMs)} ms, relay ${f1(calm.relayLoopMaxMs)}/${f1(busy.relayLoopMaxMs)} ms; ` +
            `major GC while loaded: agent ${f1(gcMs.agent)} ms, relay ${f1(gcMs.relay)} ms`,
        );
        return { quiet, loaded, bulkMbs: mbs(moved), loop: busy, gcMs };
      };
      await drained(gw);
      const direct = await measure('direct', 'down');
      const via = await measure('via', 'down');
      const upDirect = await measure('direct', 'up');
      const upVia = await measure('via', 'up');
      return {
        dp_hol_p99_ms: via.loaded.p99 - via.quiet.p99,
        dp_hol_p50_ms: via.loaded.p50 - via.quiet.p50,
        dp_hol_quiet_p99_ms: via.quiet.p99,
        dp_hol_loaded_p99_ms: via.loaded.p99,
        dp_hol_bulk_mb_s: via.bulkMbs,
        dp_hol_direct_p99_ms: direct.loaded.p99 - direct.quiet.p99,
        dp_hol_direct_bulk_mb_s: direct.bulkMbs,
        dp_hol_upload_p99_ms: upVia.loaded.p99 - upVia.quiet.p99,
        dp_hol_upload_bulk_mb_s: upVia.bulkMbs,
        dp_hol_direct_upload_p99_ms: upDirect.loaded.p99 - upDirect.quiet.p99,
        // Where a loaded round trip waits: the processes' longest event-loop delay and major GC time meanwhile.
        dp_hol_agent_loop_max_ms: via.loop.agentLoopMaxMs,
        dp_hol_relay_loop_max_ms: via.loop.relayLoopMaxMs,
        dp_hol_upload_agent_loop_max_ms: upVia.loop.agentLoopMaxMs,
        dp_hol_upload_relay_loop_max_ms: upVia.loop.relayLoopMaxMs,
        dp_hol_major_gc_ms: via.gcMs.agent + via.gcMs.relay,
        dp_hol_upload_major_gc_ms: upVia.gcMs.agent + upVia.gcMs.relay,
      };
    },
    targets: () => ({ dp_hol_p99_ms: { max: 50 } }),
  },
  {
    // From inside the burst pod: the exported Service's name resolved as the pod resolves it, then small round
    // trips on one persistent connection and new connections (connect + one echo), through the sidecar and the
    // gateway, and from the same pod to the on-prem endpoint's address (the same forward, without the gateway)
    // and to the server's loopback port (without the forward).
    name: 'out-rtt',
    side: 'out',
    async run({ out, opts }) {
      const o = outbound(out);
      const at = { via: { host: o.name, port: ECHO_PORT }, direct: { host: o.onPrem.address, port: ECHO_PORT }, loopback: { host: '127.0.0.1', port: o.onPrem.echoPort } };
      const looked = await runClient({ mode: 'lookup', name: o.name, maxMs: 10_000 }, o.runner.launch);
      say(`${o.name} resolves in the pod to ${looked.address} in ${looked.ms.toFixed(1)} ms (the sidecar's DNS, search path, ndots:5)`);
      const rtt = (t: Address) => runClient(rttJob(t, opts.rttCount, 10_000), o.runner.launch);
      const direct = await rtt(at.direct);
      const via = await rtt(at.via);
      const loopback = await rtt(at.loopback);
      say(`round trip of 64 bytes from the pod: through the gateway ${lat(via)}; direct ${lat(direct)}; loopback ${lat(loopback)}`);
      const conn = (t: Address) => runClient({ mode: 'connect', target: t, count: 200, maxMs: 10_000 }, o.runner.launch);
      const connDirect = await conn(at.direct);
      const connVia = await conn(at.via);
      say(`new connection + first echo from the pod: through the gateway ${lat(connVia)}; direct ${lat(connDirect)}`);
      return {
        dp_out_rtt_p50_ms: via.p50,
        dp_out_rtt_p99_ms: via.p99,
        dp_out_direct_rtt_p50_ms: direct.p50,
        dp_out_direct_rtt_p99_ms: direct.p99,
        dp_out_loopback_rtt_p50_ms: loopback.p50,
        dp_out_loopback_rtt_p99_ms: loopback.p99,
        dp_out_rtt_samples: via.n,
        dp_out_connect_p50_ms: connVia.p50,
        dp_out_connect_p99_ms: connVia.p99,
        dp_out_direct_connect_p50_ms: connDirect.p50,
        dp_out_direct_connect_p99_ms: connDirect.p99,
        dp_out_lookup_ms: looked.ms,
      };
    },
    targets: () => ({}),
  },
  {
    // Bulk bytes on one connection from inside the burst pod: downloading from the on-prem server (on-prem →
    // pod) and uploading to it, through the gateway and to the endpoint's address directly; the download also
    // to the server's loopback port, for context.
    name: 'out-throughput',
    side: 'out',
    async run({ gw, out, opts }) {
      const o = outbound(out);
      const bytes = opts.outMb * 2 ** 20;
      const at = { via: { host: o.name, port: BULK_PORT }, direct: { host: o.onPrem.address, port: BULK_PORT }, loopback: { host: '127.0.0.1', port: o.onPrem.bulkPort } };
      // Uploads are `sized`: the test host's forward does not pass a half-close on, so the server answers once
      // the bytes are in rather than at the client's FIN (on both paths: the agent dials the same forward).
      const one = (direction: 'down' | 'up', t: Address, n = bytes) => () => runClient({ mode: 'transfer', direction, targets: [t], bytes: n, maxMs: 120_000, sized: true }, o.runner.launch);
      // Warm-up (TCP windows, JIT on both paths), not counted.
      await one('down', at.direct, 16 << 20)();
      await one('down', at.via, 16 << 20)();
      // Up to --rounds each, but no new round after 15 s on a path (accounted per byte actually moved).
      let moved = 0;
      const counted = (run: () => Promise<Transfer>) => () => run().then((t) => ((moved += t.bytes), t));
      const budget = 15_000;
      const downBy = (t: Address, label: string) => {
        moved = 0;
        return accounted(outboundRoles(gw, o), label, () => moved, () => best(opts.rounds, counted(one('down', t)), budget));
      };
      const direct = await downBy(at.direct, 'download direct');
      const via = await downBy(at.via, 'download through the gateway');
      const loopback = await best(opts.rounds, one('down', at.loopback), budget);
      say(`one connection, on-prem → pod ${opts.outMb} MiB: through the gateway ${f1(mbs(via.result))} MB/s vs direct ${f1(mbs(direct.result))} MB/s (loopback ${f1(mbs(loopback))} MB/s)`);
      const upDirect = await best(opts.rounds, one('up', at.direct), budget);
      const upVia = await best(opts.rounds, one('up', at.via), budget);
      say(`one connection, pod → on-prem ${opts.outMb} MiB: through the gateway ${f1(mbs(upVia))} MB/s vs direct ${f1(mbs(upDirect))} MB/s`);
      return {
        dp_out_throughput_ratio: mbs(via.result) / mbs(direct.result),
        dp_out_mb_s: mbs(via.result),
        dp_out_direct_mb_s: mbs(direct.result),
        dp_out_loopback_mb_s: mbs(loopback),
        dp_out_cpu_s_per_gib: via.cpuPerGiB,
        dp_out_direct_cpu_s_per_gib: direct.cpuPerGiB,
        dp_out_upload_ratio: mbs(upVia) / mbs(upDirect),
        dp_out_upload_mb_s: mbs(upVia),
        dp_out_direct_upload_mb_s: mbs(upDirect),
      };
    },
    // The same bound as inbound: more hops (sidecar, Connect stream, relay, tunnel, agent) against one copy.
    targets: () => ({ dp_out_throughput_ratio: { min: 0.3 } }),
  },
];

function outbound(out: Outbound | undefined): Outbound {
  if (!out) throw new Error('the outbound path was not set up');
  return out;
}

/** Pids of the egress sidecar of the group at `podIP` (its env names the pod's address; root reads /proc). */
function sidecarPids(podIP: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`ECIGW_EGRESS_POD_IP=${podIP}`)) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    options: {
      replicas: { type: 'string', default: '2' },
      mb: { type: 'string', default: '256' },
      // The outbound transfers' size (smaller: the outbound path is far slower than the inbound one today).
      'out-mb': { type: 'string', default: '64' },
      rounds: { type: 'string', default: '3' },
      conns: { type: 'string', default: '1000' },
      'conns-concurrency': { type: 'string', default: '32' },
      'rtt-count': { type: 'string', default: '2000' },
      // How the HOL section's bulk client stops: fin (as a finished transfer ends) or reset (as a client that
      // goes away mid-transfer).
      'bulk-stop': { type: 'string', default: 'fin' },
      // Service bytes on data connections beside the tunnel (the relay's --data-port, as the chart sets);
      // --no-data carries them on the gRPC tunnel.
      data: { type: 'boolean', default: true },
      keep: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      only: { type: 'string', default: SECTIONS.map((s) => s.name).join(',') },
      help: { type: 'boolean', default: false },
    },
    allowNegative: true,
  });
  if (values.help) {
    process.stderr.write(
      `npm run bench -- dataplane [--replicas 2] [--mb 256] [--out-mb 64] [--rounds 3] [--conns 1000] [--conns-concurrency 32] [--rtt-count 2000] [--bulk-stop fin|reset] [--no-data] [--keep] [--cpu-prof] [--only ${SECTIONS.map((s) => s.name).join(',')}]\n` +
        'ECIGW_CLUSTER_INFO=<info.json> runs against that (shared) cluster; otherwise the bench starts its own.\n',
    );
    process.exit(0);
  }
  const only = new Set(values.only.split(','));
  for (const s of only) if (!SECTIONS.some((x) => x.name === s)) throw new Error(`--only: unknown section ${s} (sections: ${SECTIONS.map((x) => x.name).join(', ')})`);
  const wantIn = SECTIONS.some((s) => s.side === 'in' && only.has(s.name));
  const wantOut = SECTIONS.some((s) => s.side === 'out' && only.has(s.name));
  const opts: Context['opts'] = {
    mb: Number(values.mb),
    outMb: Number(values['out-mb']),
    rounds: Number(values.rounds),
    conns: Number(values.conns),
    connsConcurrency: Number(values['conns-concurrency']),
    rttCount: Number(values['rtt-count']),
    bulkStop: values['bulk-stop'] === 'reset' ? 'reset' : 'fin',
  };
  if (!['fin', 'reset'].includes(values['bulk-stop'])) throw new Error(`--bulk-stop: fin or reset, not ${values['bulk-stop']}`);
  const replicas = Number(values.replicas);
  // A shared cluster may hold other runs: a node and namespace of this run's own.
  const shared = !!process.env.ECIGW_CLUSTER_INFO;
  const nodeName = shared ? `eci-dataplane-${process.pid}` : 'eci-dataplane-bench';
  const ns = shared ? `dataplane-${process.pid}` : 'dataplane';
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-bench-dataplane-'));
  /** Undone in reverse order; each may be sync or async, and a failing one does not stop the rest. */
  const cleanups: (() => unknown)[] = [];
  try {
    let info: ClusterInfo;
    if (shared) {
      info = JSON.parse(readFileSync(process.env.ECIGW_CLUSTER_INFO as string, 'utf8')) as ClusterInfo;
      say(`shared cluster at ${info.server}`);
    } else {
      const bin = await ensureBinaries();
      const cluster = new LocalCluster();
      cleanups.push(() => cluster.stop({ keepDir: true }));
      info = await cluster.start({ dir: join(dir, 'cluster'), bin });
      say(`cluster up at ${info.server}`);
    }
    const kc = new KubeConfig();
    kc.loadFromFile(info.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    // The address the agent advertises: a test host in a network namespace (nothing listens there; the bench
    // connects to the listeners on 127.0.0.1 as kube-proxy would after its DNAT).
    const host = await startNetnsHost();
    cleanups.push(() => host.close());
    const emu = await startEmulatorProcess(join(dir, 'emulator'), ['--runtime', 'process']);
    cleanups.push(() => emu.close());
    // Room for the held connections and the other sections' (a closed connection may take a moment to go).
    const cap = opts.conns + 200;
    const prof = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'prof')}`] : [];
    // The tenant's egress settings give each ClusterFirst burst pod the sidecar; other names go to this
    // machine's resolver (as the VPC's would).
    const upstream = /^nameserver\s+(\d+\.\d+\.\d+\.\d+)/m.exec(readFileSync('/etc/resolv.conf', 'utf8'))?.[1] ?? '192.0.2.53';
    const gw = await startGatewayProcesses({
      dir: join(dir, 'gateway'),
      kubeconfigPath: info.kubeconfigPath,
      clusterCaFile: info.pki.caCertPath,
      eci: { endpoint: emu.endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret },
      nodeName,
      clusterId: 'dataplane',
      nodeFlags: { agent: prof, relay: prof },
      dataConnections: values.data,
      agentArgs: ['--network-mode', 'tunnel', '--network-listen', '127.0.0.1', '--network-advertise-address', host.address, '--network-port-range', 'any', '--network-max-connections', String(cap)],
      relayLimits: { maxServiceConnectionsPerAgent: cap },
      ...(wantOut ? { egress: { upstreamDns: [upstream] } } : {}),
    });
    cleanups.push(async () => {
      await gw.close();
      if (!shared) return;
      await core.deleteNode({ name: nodeName }).catch(() => undefined);
      // Pods the agent could not finish (the relay gone, say) would keep the namespace Terminating.
      for (const p of (await core.listNamespacedPod({ namespace: ns }).catch(() => ({ items: [] }))).items) {
        await core.deleteNamespacedPod({ name: p.metadata?.name as string, namespace: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    });
    await until('virtual node Ready', async () => (await core.readNode({ name: nodeName })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 60_000);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    cleanups.push(async () => {
      // While the agent runs, so the pods go through it and the emulator.
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
      await until('the bench namespace to go', async () => !(await core.readNamespace({ name: ns }).then(() => true, () => false)), 30_000);
    });
    await until('default ServiceAccount', async () => !!(await core.readNamespacedServiceAccount({ name: 'default', namespace: ns })), 60_000);
    const setUpInbound = async (): Promise<PodPaths[]> => {
      await apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: SERVICE },
          spec: {
            replicas,
            selector: { matchLabels: { app: SERVICE } },
            template: {
              metadata: { labels: { app: SERVICE } },
              spec: {
                // Default DNS: no egress sidecar in these groups (the tenant has egress settings for the outbound
                // sections), so they stay plain groups running the server alone.
                dnsPolicy: 'Default',
                nodeSelector: { 'kubernetes.io/hostname': nodeName },
                tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
                containers: [
                  {
                    name: 'server',
                    image: 'busybox',
                    command: [process.execPath, '-e', POD_SERVER],
                    ports: [
                      { name: 'echo', containerPort: ECHO_PORT },
                      { name: 'bulk', containerPort: BULK_PORT },
                    ],
                    readinessProbe: { tcpSocket: { port: ECHO_PORT }, periodSeconds: 1, failureThreshold: 1 },
                  },
                ],
              },
            },
          },
        },
      });
      await core.createNamespacedService({
        namespace: ns,
        body: {
          metadata: { name: SERVICE },
          spec: { selector: { app: SERVICE }, ports: [{ name: 'echo', port: ECHO_PORT, targetPort: 'echo' }, { name: 'bulk', port: BULK_PORT, targetPort: 'bulk' }] },
        },
      });
      const slices = await until(
        `${replicas} ready agent endpoints for Service ${SERVICE}`,
        async () => {
          const items = (await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${SERVICE},endpointslice.kubernetes.io/managed-by=${SLICE_MANAGER}` })).items;
          const ready = items.filter((s: V1EndpointSlice) => s.endpoints?.[0]?.conditions?.ready);
          return ready.length === replicas && items.length === replicas ? ready : undefined;
        },
        180_000,
      );
      const found: PodPaths[] = [];
      for (const s of slices) {
        const port = (name: string) => s.ports?.find((p) => p.name === name)?.port as number;
        const via = { echo: { host: '127.0.0.1', port: port('echo') }, bulk: { host: '127.0.0.1', port: port('bulk') } };
        const address = await whoami(via.bulk);
        found.push({ name: s.endpoints?.[0]?.targetRef?.name ?? '?', address, via, direct: { echo: { host: address, port: ECHO_PORT }, bulk: { host: address, port: BULK_PORT } } });
      }
      if (new Set(found.map((p) => p.address)).size !== replicas) throw new Error(`the listeners do not reach ${replicas} different pods: ${JSON.stringify(found)}`);
      say(`${replicas} pods behind the agent's listeners (advertised at ${host.address}): ${found.map((p) => `${p.name} ${p.address} echo :${p.via.echo.port} bulk :${p.via.bulk.port}`).join('; ')}`);
      return found;
    };
    const setUpOutbound = async (): Promise<Outbound> => {
      const onPrem = await startOnPrem();
      cleanups.push(() => onPrem.close());
      // The on-prem Service: no selector, exported to its own namespace; its endpoint is the test host.
      await core.createNamespacedService({
        namespace: ns,
        body: { metadata: { name: OUT_SERVICE, annotations: { [EXPORT_ANNOTATION]: 'true' } }, spec: { ports: [{ name: 'echo', port: ECHO_PORT }, { name: 'bulk', port: BULK_PORT }] } },
      });
      await discovery.createNamespacedEndpointSlice({
        namespace: ns,
        body: {
          metadata: { name: `${OUT_SERVICE}-onprem`, labels: { 'kubernetes.io/service-name': OUT_SERVICE, 'endpointslice.kubernetes.io/managed-by': 'bench.ecigw.io' } },
          addressType: 'IPv4',
          endpoints: [{ addresses: [onPrem.address], conditions: { ready: true } }],
          ports: [
            { name: 'echo', port: ECHO_PORT, protocol: 'TCP' },
            { name: 'bulk', port: BULK_PORT, protocol: 'TCP' },
          ],
        },
      });
      const runners = await startPodRunner(30 * 60_000);
      cleanups.push(() => runners.close());
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: OUT_POD },
          spec: {
            nodeName,
            restartPolicy: 'Never',
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [{ name: 'load', image: 'busybox', command: [process.execPath, CLIENT, JSON.stringify(runners.job)] }],
          },
        },
      });
      const runner = await runners.connected(180_000);
      const nameserver = /^nameserver\s+(\S+)/m.exec(runner.hello.resolvConf)?.[1];
      // The emulator writes the group's address where the pod asked for the sidecar's 127.0.0.1.
      if (nameserver !== runner.hello.podIP) throw new Error(`the pod's /etc/resolv.conf does not name its sidecar (${runner.hello.podIP}): ${JSON.stringify(runner.hello.resolvConf)}`);
      const name = `${OUT_SERVICE}.${ns}`;
      const resolved = await until(`${name} to resolve in the pod (the sidecar's exports)`, () => runClient({ mode: 'lookup', name, maxMs: 10_000 }, runner.launch), 60_000);
      const sidecars = sidecarPids(runner.hello.podIP);
      if (sidecars.length === 0) throw new Error(`no egress sidecar process of the group at ${runner.hello.podIP}`);
      say(
        `outbound: pod ${OUT_POD} at ${runner.hello.podIP} (runner pid ${runner.hello.pid}, sidecar pid ${sidecars.join(',')}, resolv.conf: ${runner.hello.resolvConf.trim().replace(/\n/g, '; ')}); ` +
          `${name} -> ${resolved.address}; on-prem endpoint ${onPrem.address} (server on 127.0.0.1 :${onPrem.echoPort} :${onPrem.bulkPort})`,
      );
      return { runner, onPrem, name, sidecarPids: sidecars };
    };
    // Both at once (each waits for pods to start); a failure of one waits for the other before cleaning up.
    const [inSet, outSet] = await Promise.allSettled([wantIn ? setUpInbound() : Promise.resolve([]), wantOut ? setUpOutbound() : Promise.resolve(undefined)]);
    if (inSet.status === 'rejected') throw inSet.reason;
    if (outSet.status === 'rejected') throw outSet.reason;
    const pods = inSet.value;
    const out = outSet.value;

    const ctx: Context = { gw, pods, ...(out ? { out } : {}), opts, dir };
    const metrics: Metrics = { dp_data_connections: Number(values.data) };
    for (const s of SECTIONS) {
      if (!only.has(s.name)) continue;
      say(`section ${s.name}`);
      Object.assign(metrics, await s.run(ctx));
    }
    const relayText = await gw.metrics('relay');
    say(`relay data connections over the run: ${JSON.stringify(dataOutcomes(relayText))}`);
    if (wantOut) {
      const denied = [...relayText.matchAll(/^ecigw_relay_egress_denied_total\{reason="([^"]+)"\} (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
      say(`relay egress refusals over the run: ${denied.join(', ') || 'none'}`);
    }
    metrics.dp_rss_end_mb = gw.memory('agent').rssMb + gw.memory('relay').rssMb;
    // Judged on what ran: a section left out (--only) has no metrics to miss its targets with.
    return { metrics, targets: Object.assign({}, ...SECTIONS.filter((s) => only.has(s.name)).map((s) => s.targets(ctx))) as Record<string, Target> };
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch((e) => say(`cleanup: ${String(e)}`));
    if (values.keep) say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
