// The on-prem end of the dataplane bench's outbound sections, run as a process of its own (startOnPrem spawns
// this file through tsx), so the bytes it forwards are not collected in the bench's large heap (see
// support/throughput-probe.ts): the pod server's program (support/dataplane-server.ts) on 127.0.0.1 with free
// ports, in a child process, and a test host in a network namespace (test/helpers/netns-host.ts) whose
// ECHO_PORT and BULK_PORT are forwarded to it, as an on-prem endpoint at a routable address: the agent dials
// <host address>:<port> → the forward in the namespace → a unix socket → this process → 127.0.0.1:<port> → the
// server. It prints `{address, echoPort, bulkPort, pids}` once ready and cleans up (namespace, server) when
// its stdin ends or on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BULK_PORT, ECHO_PORT, POD_SERVER } from './dataplane-server.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(dirname(SELF), '..', '..');

export interface OnPrem {
  /** The test host's address: the on-prem endpoint (ECHO_PORT, BULK_PORT there). */
  address: string;
  /** The server's own ports on 127.0.0.1 (the loopback baseline, without the forward). */
  echoPort: number;
  bulkPort: number;
  /** This process and its descendants (the server, the forwards in the namespace), for CPU accounting. */
  pids(): number[];
  close(): Promise<void>;
}

interface Ready {
  address: string;
  echoPort: number;
  bulkPort: number;
}

/** Every live descendant of `root` (and root), from /proc/<pid>/stat's parent pid. */
export function withDescendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  return out.filter((p) => parent.has(p));
}

/** Starts the on-prem end (needs root, as the netns host does); resolves once it forwards. */
export async function startOnPrem(): Promise<OnPrem> {
  const child = spawn(process.execPath, ['--external-memory-accounted-in-global-limit', '--import', 'tsx', SELF], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const close = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the on-prem server did not come up within 30 s')), 30_000);
      child.once('close', (code) => reject(new Error(`the on-prem server exited (${code}) before it was ready`)));
      createInterface({ input: child.stdout }).once('line', (l) => (clearTimeout(timer), resolve(JSON.parse(l) as Ready)));
    });
    return { ...ready, pids: () => withDescendants(child.pid as number), close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function main(): Promise<void> {
  const { startNetnsHost } = await import('../../test/helpers/netns-host.js');
  const children: ChildProcess[] = [];
  let host: Awaited<ReturnType<typeof startNetnsHost>> | undefined;
  const stop = async (code: number) => {
    for (const c of children) c.kill('SIGKILL');
    await host?.close();
    process.exit(code);
  };
  process.stdin.on('end', () => void stop(0)).resume();
  process.on('SIGTERM', () => void stop(0));
  try {
    const server = spawn(process.execPath, ['-e', POD_SERVER], { env: { ...process.env, ECI_POD_IP: '127.0.0.1', DP_ECHO_PORT: '0', DP_BULK_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    const ports = await new Promise<{ echo: number; bulk: number }>((resolve, reject) => {
      server.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
      createInterface({ input: server.stdout }).once('line', (l) => resolve(JSON.parse(l) as { echo: number; bulk: number }));
    });
    host = await startNetnsHost();
    await host.forward(ECHO_PORT, ports.echo);
    await host.forward(BULK_PORT, ports.bulk);
    process.stdout.write(`${JSON.stringify({ address: host.address, echoPort: ports.echo, bulkPort: ports.bulk } satisfies Ready)}\n`);
  } catch (e) {
    process.stderr.write(`on-prem: ${(e as Error).message}\n`);
    await stop(1);
  }
}

if (process.argv[1] === SELF) await main();
