// Bench helper: the relay and the agent as two separate OS processes, started through their CLIs
// (bin/gateway-relay.js, bin/gateway-agent.js) against a cluster and an ECI endpoint, so each one's
// memory can be read from /proc/<pid>/status. PKI, config and flags come from test/helpers/gateway-cli.ts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareGatewayCli, type GatewayCliOptions } from '../test/helpers/gateway-cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The CLIs run as they ship: compiled (`npm run build` → dist/, built once per bench process) under plain
 * node, with the images' MALLOC_ARENA_MAX. `ECIGW_BENCH_DIST=<dir>` uses an existing build;
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

function entry(bin: string): string[] {
  if (!dist) return [join(root, 'bin', bin)];
  const cli = join(dist, bin === 'gateway-agent.js' ? 'agent/cli.js' : 'cloud/relay/cli.js');
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

async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startGatewayProcesses(o: GatewayProcessOptions): Promise<GatewayProcesses> {
  const cli = await prepareGatewayCli({ ...o, tenant: 'bench', maxPods: 20000 });
  const children: ChildProcess[] = [];
  ensureDist();
  const launch = (name: string, bin: string, nodeFlags: string[], args: string[], env: NodeJS.ProcessEnv) => {
    const out = openSync(join(o.dir, `${name}.log`), 'a');
    const extra = (process.env.ECIGW_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...extra, ...nodeFlags, ...entry(bin), ...args], { stdio: ['ignore', out, out], env: { MALLOC_ARENA_MAX: '2', ...process.env, ...env }, cwd: o.dir });
    closeSync(out);
    children.push(child);
    return child;
  };
  try {
    const relay = launch('relay', 'gateway-relay.js', o.nodeFlags?.relay ?? [], cli.relay.args, cli.relay.env);
    await waitForHttp(cli.relay.healthUrl, relay, 'gateway-relay', 30_000);
    const agent = launch('agent', 'gateway-agent.js', o.nodeFlags?.agent ?? [], [...cli.agent.args, ...(o.agentArgs ?? [])], cli.agent.env);
    await waitForHttp(cli.agent.readyUrl, agent, 'gateway-agent', 60_000);
    return {
      relayPid: relay.pid as number,
      agentPid: agent.pid as number,
      kubeletPort: cli.kubeletPort,
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
