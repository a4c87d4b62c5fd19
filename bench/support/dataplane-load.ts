// The bench side of the dataplane load generator: starts bench/support/dataplane-client.ts (a process of its
// own, see its header) with one job and reads its JSON lines. One-shot jobs resolve with their result; long
// jobs (`bulk`, `hold`) report when they are under way, and stop() ends them and resolves with their result.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One TCP address: an agent listener (127.0.0.1:<listener port>) or a pod's own address and port. */
export interface Address {
  host: string;
  port: number;
}

/** Latency figures of one job (ms). */
export interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Bytes moved and the seconds they took (first byte to the last connection's end). */
export interface Transfer {
  bytes: number;
  seconds: number;
}

export type ClientJob =
  /** Round trips of `size` bytes on one persistent connection to an echo port, back to back. */
  | { mode: 'rtt'; target: Address; size: number; count: number; warmup: number; maxMs: number }
  /** New connections one after another: connect, one echo of 8 bytes, close; the time of each. */
  | { mode: 'connect'; target: Address; count: number; maxMs: number }
  /** One connection per target at once, each downloading (`source`) or uploading (`sink`) `bytes`. */
  | { mode: 'transfer'; direction: 'down' | 'up'; targets: Address[]; bytes: number; maxMs: number }
  /**
   * One endless transfer until stop() (or maxMs); under way once `warmBytes` have moved. It stops as a finished
   * transfer ends (FIN, then the rest read to the pod's close), or with `stop: 'reset'` as a client that goes away.
   */
  | { mode: 'bulk'; direction: 'down' | 'up'; target: Address; warmBytes: number; maxMs: number; stop?: 'fin' | 'reset' }
  /** `count` echo connections over the targets (round robin), `concurrency` opening at once, each checked by one echo; held until stop(), then each echoes once more. */
  | { mode: 'hold'; targets: Address[]; count: number; concurrency: number; maxMs: number };

export interface HoldUp {
  up: number;
  failed: number;
  /** Failure reasons and how often each happened. */
  errors: Record<string, number>;
  ms: number;
}

export interface HoldEnd {
  /** Connections that answered the second echo (still connected end to end). */
  alive: number;
  /** Connections that ended while held. */
  closedEarly: number;
}

const CLIENT = fileURLToPath(new URL('./dataplane-client.ts', import.meta.url));

interface Running {
  /** The next JSON line the client prints. */
  next<T>(): Promise<T>;
  /** Ends the client's stdin (its stop signal) and resolves with its next line. */
  stop<T>(): Promise<T>;
  kill(): void;
}

function start(job: ClientJob, timeoutMs: number): Running {
  const child: ChildProcess = spawn(process.execPath, [CLIENT, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const lines: string[] = [];
  const waiting: ((l: string | undefined) => void)[] = [];
  let closed = false;
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else lines.push(l);
  });
  child.on('close', () => {
    clearTimeout(timer);
    closed = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  const next = async <T>(): Promise<T> => {
    const l = lines.length > 0 ? lines.shift() : closed ? undefined : await new Promise<string | undefined>((r) => waiting.push(r));
    if (l === undefined) throw new Error(`dataplane client (${job.mode}) ended without a result (exit ${child.exitCode ?? child.signalCode}): ${err.trim() || 'no message'}`);
    return JSON.parse(l) as T;
  };
  return {
    next,
    stop: <T>() => (child.stdin?.end(), next<T>()),
    kill: () => void child.kill('SIGKILL'),
  };
}

/** Runs a one-shot job (rtt, connect, transfer) to its result. */
export async function runClient(job: Extract<ClientJob, { mode: 'rtt' | 'connect' }>): Promise<Latency>;
export async function runClient(job: Extract<ClientJob, { mode: 'transfer' }>): Promise<Transfer>;
export async function runClient(job: ClientJob): Promise<Latency | Transfer> {
  const r = start(job, job.maxMs + 30_000);
  try {
    return await r.next();
  } finally {
    r.kill();
  }
}

/** Starts an endless transfer; resolves once it is under way (warmBytes moved), with its stop(). */
export async function startBulk(job: Extract<ClientJob, { mode: 'bulk' }>): Promise<{ stop(): Promise<Transfer> }> {
  const r = start(job, job.maxMs + 30_000);
  try {
    await r.next<{ flowing: true }>();
  } catch (e) {
    r.kill();
    throw e;
  }
  return { stop: () => r.stop<Transfer>().finally(() => r.kill()) };
}

/** Opens the held connections; resolves once every one is up or failed, with its stop() (the second echo). */
export async function startHold(job: Extract<ClientJob, { mode: 'hold' }>): Promise<{ up: HoldUp; stop(): Promise<HoldEnd> }> {
  const r = start(job, job.maxMs + 60_000);
  try {
    const up = await r.next<HoldUp>();
    return { up, stop: () => r.stop<HoldEnd>().finally(() => r.kill()) };
  } catch (e) {
    r.kill();
    throw e;
  }
}
