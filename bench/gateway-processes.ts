// Bench helper: the relay and the agent as two separate OS processes, started through their CLIs
// (bin/gateway-relay.js, bin/gateway-agent.js) against a cluster and an ECI endpoint, so each one's
// memory can be read from /proc/<pid>/status. PKI, config and flags come from test/helpers/gateway-cli.ts.
// The ECI emulator can run as a process of its own too (startEmulatorProcess), as ECI is a remote service:
// in the bench's process it would answer only when the load generator's event loop lets it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, openSync, closeSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareGatewayCli, type GatewayCliOptions } from '../test/helpers/gateway-cli.js';
import { freePort } from '../test/helpers/ports.js';
import { DEFAULT_ACCESS_KEY } from '../cloud/eci-emulator/index.js';
import type { EmulatorStats } from '../cloud/eci-emulator/admin.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The CLIs run as they ship: compiled (`npm run build` → dist/, built once per bench process) under plain
 * node, with the images' MALLOC_ARENA_MAX and Node flags (IMAGE_NODE_FLAGS). `ECIGW_BENCH_DIST=<dir>` uses an existing build;
 * `ECIGW_BENCH_SOURCE=1` runs the TypeScript sources through tsx instead (bin/ shims).
 * `ECIGW_BENCH_NODE_FLAGS="--flag …"` adds Node/V8 flags to both processes (to weigh runtime settings).
 */
let dist: string | undefined = process.env.ECIGW_BENCH_DIST;
const fromSource = process.env.ECIGW_BENCH_SOURCE === '1';

function ensureDist(): void {
  if (fromSource || dist) return;
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  dist = join(root, 'dist');
}

/**
 * Node flags the images put on each process's command line (the Dockerfile's ENTRYPOINTs; checked by
 * test/charts/dockerfiles.test.ts). Both keep V8's young generation at Node 20's size (semi-spaces of 16 MB):
 * Node 24 lets them grow to 64 MB each, which at 5,000 pods added about 90 MB of RSS to each process for no
 * measurable gain in burst time. Both also grow the V8 heap by 50% at a time instead of up to 4x: the live
 * heaps at 5,000 pods (agent about 110 MB, relay about 60 MB) are small next to the garbage of watch events
 * and status polling, and the default headroom was most of the RSS (agent 442 MB without it, about 270 with).
 * And both count ArrayBuffer memory toward the heap's own limit: by default Node 24's V8 starts a full
 * mark-compact after every 64 MB or so of Buffers allocated, whatever the heap holds, and a session moving
 * bytes allocates a Buffer for every read (1 GiB of 64 KiB Buffers: 10 mark-compacts and 0.51 s of CPU by
 * default, 1 and 0.13 s with the flag; Node 20: 1 and 0.11 s). Session bytes: agent 8.7 -> 5.2 and relay
 * 6.0 -> 3.3 CPU s/GiB on exec (bench/stream).
 */
export const IMAGE_NODE_FLAGS: { agent: string[]; relay: string[] } = {
  agent: ['--max-semi-space-size=16', '--heap-growing-percent=50', '--external-memory-accounted-in-global-limit'],
  relay: ['--max-semi-space-size=16', '--heap-growing-percent=50', '--external-memory-accounted-in-global-limit'],
};

const DIST_CLI: Record<string, string> = {
  'gateway-agent.js': 'agent/cli.js',
  'gateway-relay.js': 'cloud/relay/cli.js',
  'eci-emulator.js': 'cloud/eci-emulator/cli.js',
  'gateway-egress.js': 'cloud/egress/cli.js',
};

function entry(bin: string): string[] {
  if (!dist) return [join(root, 'bin', bin)];
  const cli = join(dist, DIST_CLI[bin]);
  return ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(cli)}); const code = await main(process.argv.slice(1)); if (code >= 0) process.exit(code);`, '--'];
}

async function scrapeHeap(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const out: Record<string, number> = {};
  for (const name of ['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes', 'process_resident_memory_bytes']) {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text);
    if (m) out[name.replace(/_bytes$/, '_mb')] = Number(m[1]) / 1048576;
  }
  return out;
}

/** Where and against what the two processes run (certs, config and logs go to `dir`). */
export interface GatewayProcessOptions extends Omit<GatewayCliOptions, 'tenant' | 'maxPods'> {
  /** Extra `--flag value` pairs for the agent. */
  agentArgs?: string[];
  /** Extra Node flags (e.g. --cpu-prof) per process. */
  nodeFlags?: { agent?: string[]; relay?: string[] };
  /** The relay config's `limits` section (cloud/relay/limits.ts keys); absent: the relay's defaults. */
  relayLimits?: Record<string, number>;
  /**
   * Networking mode `tunnel`, outbound: the relay opens its egress listener on its own address (--egress-port,
   * a token key file, its CA for the sidecars) and the tenant gets `egress` settings, so each ClusterFirst burst
   * pod gets the egress sidecar, run as built like the relay (plain node, no image flags: it has no image of its
   * own) by the emulator's process runtime, resolving other names with `upstreamDns`. Absent: no egress.
   */
  egress?: { upstreamDns: string[] };
}

export interface MemoryFigures {
  /** Current resident set (MB). */
  rssMb: number;
  /** Peak resident set since start (VmHWM, MB). */
  hwmMb: number;
}

export interface GatewayProcesses {
  relayPid: number;
  agentPid: number;
  kubeletPort: number;
  /** The relay's egress listener (127.0.0.1), with the `egress` option. */
  egressPort?: number;
  memory(which: 'agent' | 'relay'): MemoryFigures;
  /** V8 heap figures (MB) from the process's own /metrics (prom-client default metrics). */
  heap(which: 'agent' | 'relay'): Promise<Record<string, number>>;
  /** The process's Prometheus text (GET /metrics on its ops port). */
  metrics(which: 'agent' | 'relay'): Promise<string>;
  close(): Promise<void>;
}

/** Reads VmRSS and VmHWM of a live process (Linux /proc). */
export function readMemory(pid: number): MemoryFigures {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready at ${url} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops a child: SIGTERM, SIGKILL after `graceMs`; resolves once it exited (at once if it already had). */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startGatewayProcesses(o: GatewayProcessOptions): Promise<GatewayProcesses> {
  const cli = await prepareGatewayCli({ ...o, tenant: 'bench', maxPods: 20000 });
  const relayConfig = cli.relay.args[cli.relay.args.indexOf('--config') + 1];
  if (o.relayLimits) appendFileSync(relayConfig, `limits: ${JSON.stringify(o.relayLimits)}\n`);
  const children: ChildProcess[] = [];
  ensureDist();
  const relayArgs = [...cli.relay.args];
  let egressPort: number | undefined;
  if (o.egress) {
    egressPort = await freePort();
    const keyFile = join(o.dir, 'egress.key');
    writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    // The relay CA signs its serving certificate (for localhost and 127.0.0.1): the sidecars verify it with it.
    const caFile = cli.relay.args[cli.relay.args.indexOf('--client-ca-file') + 1];
    relayArgs.push('--egress-port', String(egressPort), '--egress-token-key-file', keyFile, '--egress-ca-file', caFile);
    const settings = {
      relayAddress: `127.0.0.1:${egressPort}`,
      serverName: 'localhost',
      image: 'eci-hybrid-gateway/egress',
      command: [process.execPath, ...entry('gateway-egress.js')],
      clusterDomain: 'cluster.local',
      upstreamDns: o.egress.upstreamDns,
    };
    // Into the tenant's section (JSON is YAML), which ends where certificateIdentities begins.
    const text = readFileSync(relayConfig, 'utf8');
    if (!/^certificateIdentities:$/m.test(text)) throw new Error(`${relayConfig}: no certificateIdentities section to put the tenant's egress settings before`);
    writeFileSync(relayConfig, text.replace(/^certificateIdentities:$/m, `    egress: ${JSON.stringify(settings)}\ncertificateIdentities:`), { mode: 0o600 });
  }
  const launch = (name: string, bin: string, nodeFlags: string[], args: string[], env: NodeJS.ProcessEnv) => {
    const out = openSync(join(o.dir, `${name}.log`), 'a');
    const extra = (process.env.ECIGW_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...extra, ...nodeFlags, ...entry(bin), ...args], { stdio: ['ignore', out, out], env: { MALLOC_ARENA_MAX: '2', ...process.env, ...env }, cwd: o.dir });
    closeSync(out);
    children.push(child);
    return child;
  };
  try {
    const relay = launch('relay', 'gateway-relay.js', [...IMAGE_NODE_FLAGS.relay, ...(o.nodeFlags?.relay ?? [])], relayArgs, cli.relay.env);
    await waitForHttp(cli.relay.healthUrl, relay, 'gateway-relay', 30_000);
    const agent = launch('agent', 'gateway-agent.js', [...IMAGE_NODE_FLAGS.agent, ...(o.nodeFlags?.agent ?? [])], [...cli.agent.args, ...(o.agentArgs ?? [])], cli.agent.env);
    await waitForHttp(cli.agent.readyUrl, agent, 'gateway-agent', 60_000);
    return {
      relayPid: relay.pid as number,
      agentPid: agent.pid as number,
      kubeletPort: cli.kubeletPort,
      ...(egressPort === undefined ? {} : { egressPort }),
      memory: (which) => readMemory((which === 'agent' ? agent : relay).pid as number),
      heap: (which) => scrapeHeap(which === 'agent' ? cli.agent.opsPort : cli.relay.opsPort),
      metrics: async (which) => (await fetch(`http://127.0.0.1:${which === 'agent' ? cli.agent.opsPort : cli.relay.opsPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text(),
      async close() {
        await stopChild(agent);
        await stopChild(relay);
      },
    };
  } catch (e) {
    await Promise.all(children.map((c) => stopChild(c, 1000)));
    throw e;
  }
}

export interface EmulatorProcess {
  pid: number;
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** GET /__admin/stats. */
  stats(): Promise<EmulatorStats>;
  /** POST /__admin/reset-stats. */
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the emulator CLI (simulated runtime, default limits) as its own process; logs go to `dir`/emulator.log. */
export async function startEmulatorProcess(dir: string, extraArgs: string[] = []): Promise<EmulatorProcess> {
  ensureDist();
  mkdirSync(dir, { recursive: true });
  const errOut = openSync(join(dir, 'emulator.log'), 'a');
  const child = spawn(process.execPath, ['--external-memory-accounted-in-global-limit', ...entry('eci-emulator.js'), '--runtime', 'simulated', '--data-dir', join(dir, 'emulator-data'), ...extraArgs], {
    stdio: ['ignore', 'pipe', errOut],
    env: { MALLOC_ARENA_MAX: '2', ...process.env },
  });
  closeSync(errOut);
  const { url, adminToken } = await new Promise<{ url: string; adminToken: string }>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('eci-emulator did not print its address within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`eci-emulator exited (${code}) before listening`)));
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening on (http:\/\/\S+) .*adminToken=([^,)\s]+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], adminToken: m[2] });
      }
    });
  }).catch(async (e) => {
    await stopChild(child, 1000);
    throw e;
  });
  const admin = (route: string, init?: RequestInit) =>
    fetch(`${url}/__admin/${route}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000) });
  return {
    pid: child.pid as number,
    endpoint: new URL(url).host,
    accessKeyId: DEFAULT_ACCESS_KEY.id,
    accessKeySecret: DEFAULT_ACCESS_KEY.secret,
    stats: async () => (await admin('stats')).json() as Promise<EmulatorStats>,
    resetStats: async () => void (await admin('reset-stats', { method: 'POST', body: '{}' })).arrayBuffer(),
    close: () => stopChild(child),
  };
}
