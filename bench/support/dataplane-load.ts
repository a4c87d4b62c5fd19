// The bench side of the dataplane load generator: starts bench/support/dataplane-client.ts (a process of its
// own, see its header) with one job and reads its JSON lines. One-shot jobs resolve with their result; long
// jobs (`bulk`, `hold`) report when they are under way, and stop() ends them and resolves with their result.
// A job runs on this machine by default, or inside a burst pod through the pod's runner (`serve` job,
// startPodRunner): the same program, started by the runner in the pod's mount namespace.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
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
  /**
   * One connection per target at once, each downloading (`source`) or uploading (`sink`) `bytes`; a `sized`
   * upload tells the server the size and keeps its side open until the answer (no half-close needed on the path).
   */
  | { mode: 'transfer'; direction: 'down' | 'up'; targets: Address[]; bytes: number; maxMs: number; sized?: boolean }
  /**
   * One endless transfer until stop() (or maxMs); under way once `warmBytes` have moved. It stops as a finished
   * transfer ends (FIN, then the rest read to the pod's close), or with `stop: 'reset'` as a client that goes away.
   */
  | { mode: 'bulk'; direction: 'down' | 'up'; target: Address; warmBytes: number; maxMs: number; stop?: 'fin' | 'reset' }
  /** `count` echo connections over the targets (round robin), `concurrency` opening at once, each checked by one echo; held until stop(), then each echoes once more. */
  | { mode: 'hold'; targets: Address[]; count: number; concurrency: number; maxMs: number }
  /** One name resolved as the process's resolver does (getaddrinfo: /etc/resolv.conf, search path): its address and time. */
  | { mode: 'lookup'; name: string; maxMs: number }
  /**
   * A runner in a burst pod (its container's command): connects to the bench at `control` and runs the jobs the
   * bench sends, each as a process of its own in the pod, until the connection ends or maxMs (see PodRunner).
   */
  | { mode: 'serve'; control: Address; maxMs: number };

/** What a pod runner (`serve`) says first: its pid, the pod's address and the resolver configuration its jobs see. */
interface RunnerHello {
  pid: number;
  podIP: string;
  resolvConf: string;
}

/** Runner → bench, one JSON line each: the hello, a job's output line, a job's end (exit code or signal, stderr's tail). */
export type RunnerUp = { hello: RunnerHello } | { id: number; line: string } | { id: number; exit: string; stderr: string };

/** Bench → runner: start a job, end its stdin (the stop of long jobs), kill it. */
export type RunnerDown = { id: number; job: ClientJob } | { id: number; end: true } | { id: number; kill: true };

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

export const CLIENT = fileURLToPath(new URL('./dataplane-client.ts', import.meta.url));

/** One started job as the bench drives it, wherever it runs. */
interface Proc {
  onLine(cb: (line: string) => void): void;
  /** Once, when the job has ended: how (exit code or signal) and the tail of its stderr. */
  onClose(cb: (how: string, stderr: string) => void): void;
  endInput(): void;
  kill(): void;
}

/** Starts a job somewhere: a local process (default) or a pod runner's process (PodRunner.launch). */
export type Launch = (job: ClientJob) => Proc;

const local: Launch = (job) => {
  const child = spawn(process.execPath, [CLIENT, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  child.on('error', (e) => (err += e.message));
  return {
    onLine: (cb) => void createInterface({ input: child.stdout }).on('line', cb),
    onClose: (cb) => void child.on('close', (code, signal) => cb(String(code ?? signal), err)),
    endInput: () => void child.stdin.end(),
    kill: () => void child.kill('SIGKILL'),
  };
};

interface Running {
  /** The next JSON line the client prints. */
  next<T>(): Promise<T>;
  /** Ends the client's stdin (its stop signal) and resolves with its next line. */
  stop<T>(): Promise<T>;
  kill(): void;
}

function start(job: ClientJob, timeoutMs: number, launch: Launch): Running {
  const p = launch(job);
  let err = '';
  let how = '';
  const timer = setTimeout(() => p.kill(), timeoutMs);
  const lines: string[] = [];
  const waiting: ((l: string | undefined) => void)[] = [];
  let closed = false;
  p.onLine((l) => {
    const w = waiting.shift();
    if (w) w(l);
    else lines.push(l);
  });
  p.onClose((h, stderr) => {
    clearTimeout(timer);
    [how, err, closed] = [h, stderr, true];
    for (const w of waiting.splice(0)) w(undefined);
  });
  const next = async <T>(): Promise<T> => {
    const l = lines.length > 0 ? lines.shift() : closed ? undefined : await new Promise<string | undefined>((r) => waiting.push(r));
    if (l === undefined) throw new Error(`dataplane client (${job.mode}) ended without a result (exit ${how}): ${err.trim() || 'no message'}`);
    return JSON.parse(l) as T;
  };
  return {
    next,
    stop: <T>() => (p.endInput(), next<T>()),
    kill: () => p.kill(),
  };
}

/** Runs a one-shot job (rtt, connect, transfer, lookup) to its result, here or where `launch` runs it. */
export async function runClient(job: Extract<ClientJob, { mode: 'rtt' | 'connect' }>, launch?: Launch): Promise<Latency>;
export async function runClient(job: Extract<ClientJob, { mode: 'transfer' }>, launch?: Launch): Promise<Transfer>;
export async function runClient(job: Extract<ClientJob, { mode: 'lookup' }>, launch?: Launch): Promise<{ address: string; ms: number }>;
export async function runClient(job: ClientJob, launch: Launch = local): Promise<unknown> {
  const r = start(job, job.maxMs + 30_000, launch);
  try {
    return await r.next();
  } finally {
    r.kill();
  }
}

/** Starts an endless transfer; resolves once it is under way (warmBytes moved), with its stop(). */
export async function startBulk(job: Extract<ClientJob, { mode: 'bulk' }>): Promise<{ stop(): Promise<Transfer> }> {
  const r = start(job, job.maxMs + 30_000, local);
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
  const r = start(job, job.maxMs + 60_000, local);
  try {
    const up = await r.next<HoldUp>();
    return { up, stop: () => r.stop<HoldEnd>().finally(() => r.kill()) };
  } catch (e) {
    r.kill();
    throw e;
  }
}

/** A burst pod's runner (the `serve` job as its container's command), connected back to the bench. */
export interface PodRunner {
  hello: RunnerHello;
  /** Runs a job in the pod: pass to runClient. */
  launch: Launch;
  close(): void;
}

/**
 * Listens on 127.0.0.1 for one pod runner (the emulator's groups share this machine's loopback): `job` is the
 * container command's job, and connected() resolves when the runner has said hello.
 */
export async function startPodRunner(maxMs: number): Promise<{ job: Extract<ClientJob, { mode: 'serve' }>; connected(timeoutMs: number): Promise<PodRunner>; close(): void }> {
  let socket: Socket | undefined;
  let arrived: (s: Socket) => void = () => undefined;
  const first = new Promise<Socket>((r) => (arrived = r));
  const server: Server = createServer({ noDelay: true }, (s) => {
    if (socket) return void s.destroy(); // one runner; a second (a restarted container) is refused
    socket = s;
    arrived(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const close = () => {
    socket?.destroy();
    server.close();
  };
  const connected = async (timeoutMs: number): Promise<PodRunner> => {
    let timer: NodeJS.Timeout | undefined;
    const s = await Promise.race([first, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no pod runner connected within ${timeoutMs} ms`)), timeoutMs)))]).finally(() => clearTimeout(timer));
    const jobs = new Map<number, { line(l: string): void; close(how: string, stderr: string): void }>();
    let hello: (h: RunnerHello) => void = () => undefined;
    const said = new Promise<RunnerHello>((r) => (hello = r));
    createInterface({ input: s }).on('line', (l) => {
      const m = JSON.parse(l) as RunnerUp;
      if ('hello' in m) hello(m.hello);
      else if ('line' in m) jobs.get(m.id)?.line(m.line);
      else {
        jobs.get(m.id)?.close(m.exit, m.stderr);
        jobs.delete(m.id);
      }
    });
    const gone = () => {
      for (const j of jobs.values()) j.close('(the pod runner went away)', '');
      jobs.clear();
    };
    s.on('close', gone);
    s.on('error', gone);
    const send = (m: RunnerDown) => void (s.destroyed ? undefined : s.write(`${JSON.stringify(m)}\n`));
    let ids = 0;
    const launch: Launch = (job) => {
      const id = ++ids;
      let onLine: (l: string) => void = () => undefined;
      let onClose: (how: string, stderr: string) => void = () => undefined;
      jobs.set(id, { line: (l) => onLine(l), close: (how, e) => onClose(how, e) });
      send({ id, job });
      if (s.destroyed) queueMicrotask(gone);
      return {
        onLine: (cb) => void (onLine = cb),
        onClose: (cb) => void (onClose = cb),
        endInput: () => send({ id, end: true }),
        kill: () => send({ id, kill: true }),
      };
    };
    const timer2 = setTimeout(() => s.destroy(), 10_000);
    try {
      return { hello: await Promise.race([said, new Promise<never>((_, reject) => s.once('close', () => reject(new Error('the pod runner closed before its hello'))))]), launch, close };
    } finally {
      clearTimeout(timer2);
    }
  };
  return { job: { mode: 'serve', control: { host: '127.0.0.1', port }, maxMs }, connected, close };
}
